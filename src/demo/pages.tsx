/** The demo relying party's three pages, on the gateway's own stylesheet and card. */
import { CardPage } from '../views/document.js';
import { renderPage } from '../views/render.js';

const TITLE = 'ACME demo app';

export function SignedOutPage() {
  return (
    <CardPage title={TITLE}>
      <h1>ACME demo app</h1>
      <p class="muted">Not signed in.</p>
      <form method="get" action="/login">
        <button type="submit">Sign in with ACME</button>
      </form>
    </CardPage>
  );
}

/** Who is signed in ("jill (support) as john") and the ID token claims worth showing. */
export function SignedInPage(props: { identity: string; claims: Array<[name: string, value: string]> }) {
  return (
    <CardPage title={TITLE}>
      <h1>Signed in</h1>
      <p id="identity" class="identity">
        {props.identity}
      </p>
      <table>
        {props.claims.map(([name, value]) => (
          <tr key={name}>
            <th>{name}</th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </table>
      <form method="post" action="/logout">
        <button type="submit">Sign out</button>
      </form>
    </CardPage>
  );
}

export function SignInFailedPage(props: { message: string }) {
  return (
    <CardPage title={TITLE}>
      <h1>Sign-in failed</h1>
      <p>{props.message}</p>
      <p>
        <a href="/">Back</a>
      </p>
    </CardPage>
  );
}

export const signedOutPage = (): string => renderPage(<SignedOutPage />);
export const signedInPage = (identity: string, claims: Array<[string, string]>): string => renderPage(<SignedInPage identity={identity} claims={claims} />);
export const signInFailedPage = (message: string): string => renderPage(<SignInFailedPage message={message} />);
