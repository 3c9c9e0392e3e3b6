import { CardPage } from './document.js';
import { renderPage } from './render.js';

/** A page that only tells: an error, a refusal, "you are signed out". */
export function MessagePage(props: { title: string; message: string; link?: { href: string; label: string } | undefined }) {
  return (
    <CardPage title={props.title}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      {props.link ? (
        <p>
          <a href={props.link.href}>{props.link.label}</a>
        </p>
      ) : null}
    </CardPage>
  );
}

export function errorPage(title: string, message: string): string {
  return renderPage(<MessagePage title={title} message={message} />);
}

/** Where the confirmation posts and the xsrf secret oidc-provider checks there. */
export interface LogoutForm {
  action: string;
  xsrf: string;
}

/**
 * RP-initiated logout confirmation. The form keeps oidc-provider's id `op.logoutForm`; it posts
 * `logout=yes` with the provider's xsrf secret to end the session.
 */
export function LogoutPage(props: { tenant: string; form: LogoutForm }) {
  return (
    <CardPage title="Sign out">
      <h1>Sign out</h1>
      <p>Sign out of {props.tenant}?</p>
      <form id="op.logoutForm" method="post" action={props.form.action}>
        <input type="hidden" name="xsrf" value={props.form.xsrf} />
        <button type="submit" name="logout" value="yes">
          Sign out
        </button>
      </form>
    </CardPage>
  );
}

/**
 * oidc-provider (lib/actions/end_session.js) hands logoutSource its form as an HTML string:
 * `<form id="op.logoutForm" method="post" action="{url}"><input type="hidden" name="xsrf" value="{secret}"/></form>`,
 * with the end_session_confirm URL and a random secret put in unescaped. We take the two values
 * out and render the form ourselves rather than inject the provider's markup. A form of any other
 * shape (a provider upgrade that adds a field) throws, so the logout tests fail instead of the
 * page silently dropping what the provider needs.
 */
export function parseLogoutForm(form: string): LogoutForm {
  const m = /^<form id="op\.logoutForm" method="post" action="([^"]+)"><input type="hidden" name="xsrf" value="([^"]+)"\/><\/form>$/.exec(form);
  if (!m) throw new Error('oidc-provider passed a logout form of an unknown shape');
  return { action: m[1]!, xsrf: m[2]! };
}

/** The logout confirmation for the form oidc-provider passes to `logoutSource`. */
export function logoutPage(tenant: string, form: string): string {
  return renderPage(<LogoutPage tenant={tenant} form={parseLogoutForm(form)} />);
}
