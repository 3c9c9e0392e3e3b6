import { CardPage } from './document.js';
import { renderPage } from './render.js';

export interface LoginView {
  action: string;
  csrf: string;
  tenant: string;
  username?: string;
  error?: string | undefined;
  clientName: string;
}

/** The tenant sign-in form; support staff sign in as `jill$john` with their own password. */
export function LoginPage(v: LoginView) {
  return (
    <CardPage title={`Sign in to ${v.tenant}`}>
      <h1>Sign in</h1>
      <p class="muted">
        to <strong>{v.clientName}</strong>
      </p>
      {v.error ? (
        <p class="error" role="alert">
          {v.error}
        </p>
      ) : null}
      <form method="post" action={v.action} autocomplete="on">
        <input type="hidden" name="csrf" value={v.csrf} />
        <label for="tenant">Tenant ID</label>
        <input id="tenant" name="tenant" value={v.tenant} required autocapitalize="off" spellcheck={false} />
        <label for="username">Username</label>
        <input id="username" name="username" value={v.username ?? ''} required autofocus autocapitalize="off" spellcheck={false} autocomplete="username" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" required autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </form>
      <p class="hint">
        Support staff: <code>support_user$user</code> with your own password.
      </p>
    </CardPage>
  );
}

export function loginPage(v: LoginView): string {
  return renderPage(<LoginPage {...v} />);
}
