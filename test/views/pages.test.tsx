import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { signedInPage, signInFailedPage, signedOutPage } from '../../src/demo/pages.js';
import { consentPage } from '../../src/views/consent.js';
import { loginPage } from '../../src/views/login.js';
import { errorPage, logoutPage, parseLogoutForm } from '../../src/views/messages.js';
import { STYLESHEET } from '../../src/views/styles.js';

/** What a stranger might type: closes the attribute, then opens a script. */
const HOSTILE = '"><script>alert(1)</script>';
/** The same as a browser must receive it: as text in the text, as a value in an attribute. */
const AS_TEXT = '&quot;>&lt;script>alert(1)&lt;/script>';
const AS_ATTRIBUTE = `"${AS_TEXT}"`;

/** Each `<input>` tag of a page, by its name attribute. */
function inputs(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<input\b[^>]*>/g)].map((m) => [/\bname="([^"]*)"/.exec(m[0])?.[1] ?? '', m[0]]));
}

/** Visible inputs without a `<label for>` naming their id, and labels naming no input. */
function unlabelled(html: string): string[] {
  const fors = [...html.matchAll(/<label\b[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]!);
  const ids = [...inputs(html).values()].filter((tag) => !/type="hidden"/.test(tag)).map((tag) => /\bid="([^"]+)"/.exec(tag)?.[1] ?? `(no id) ${tag}`);
  return [...ids.filter((id) => !fors.includes(id)), ...fors.filter((f) => !ids.includes(f)).map((f) => `label for missing ${f}`)];
}

const login = (over: Partial<Parameters<typeof loginPage>[0]> = {}) =>
  loginPage({ action: '/t/acme/interaction/abc/login', csrf: 'csrf-token-1', tenant: 'acme', clientName: 'Demo', ...over });

describe('the sign-in page', () => {
  it('shows a hostile username, tenant, client name and error as text, never as markup', () => {
    const html = login({ username: HOSTILE, tenant: HOSTILE, clientName: HOSTILE, error: HOSTILE });
    expect(html).not.toContain('<script');
    expect(html).toContain(`<input id="username" name="username" value=${AS_ATTRIBUTE}`);
    expect(html).toContain(`<input id="tenant" name="tenant" value=${AS_ATTRIBUTE}`);
    expect(html).toContain(`<strong>${AS_TEXT}</strong>`);
    expect(html).toContain(`role="alert">${AS_TEXT}</p>`);
    expect(html).toContain(`<title>Sign in to ${AS_TEXT}</title>`);
  });

  it('carries the CSRF token in a hidden field and posts to the interaction', () => {
    const html = login({ csrf: 'tok"en' });
    expect(inputs(html).get('csrf')).toBe('<input type="hidden" name="csrf" value="tok&quot;en"/>');
    expect(html).toContain('<form method="post" action="/t/acme/interaction/abc/login"');
  });

  it('ties each label to its field (tenant, username, password) and keeps the support hint', () => {
    const html = login();
    expect(unlabelled(html)).toEqual([]);
    expect([...html.matchAll(/<label for="([^"]+)">([^<]+)</g)].map((m) => [m[1], m[2]])).toEqual([
      ['tenant', 'Tenant ID'],
      ['username', 'Username'],
      ['password', 'Password'],
    ]);
    expect(inputs(html).get('password')).toContain('type="password"');
    expect(html).toContain('Support staff: <code>support_user$user</code> with your own password.');
  });

  it('shows no alert when there is no error', () => {
    expect(login()).not.toContain('role="alert"');
  });

  it('is a whole document on the centred card and the one stylesheet', () => {
    const html = login();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<link rel="stylesheet" href="/static/supportgate.css"/>');
    expect(html).toContain('<body class="centred"><main class="card">');
  });
});

describe('the consent page', () => {
  it('shows a hostile client name, tenant and scope as text', () => {
    const html = consentPage({ action: '/t/acme/interaction/abc/consent', csrf: 'c1', clientName: HOSTILE, tenant: HOSTILE, scopes: ['openid', HOSTILE] });
    expect(html).not.toContain('<script');
    expect(html).toContain(`<strong>${AS_TEXT}</strong> asks to use your ${AS_TEXT} account: <code>openid</code> <code>${AS_TEXT}</code>`);
  });

  it('posts the CSRF token with an allow or deny decision', () => {
    const html = consentPage({ action: '/t/acme/interaction/abc/consent', csrf: 'c1', clientName: 'Partner', tenant: 'acme', scopes: ['openid'] });
    expect(inputs(html).get('csrf')).toBe('<input type="hidden" name="csrf" value="c1"/>');
    expect(html).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(html).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
  });
});

describe('the message pages', () => {
  it('an error page shows a hostile title and message as text', () => {
    const html = errorPage(HOSTILE, `There is no active tenant ${HOSTILE} here`);
    expect(html).not.toContain('<script');
    expect(html).toContain(`<h1>${AS_TEXT}</h1><p>There is no active tenant ${AS_TEXT} here</p>`);
  });

  /** The form exactly as oidc-provider builds it (lib/actions/end_session.js, renderLogout). */
  const providerForm = (action: string, secret: string) => {
    const source = readFileSync(join(process.cwd(), 'node_modules/oidc-provider/lib/actions/end_session.js'), 'utf8');
    const template = /const formHtml = `([^`]+)`/.exec(source)?.[1];
    if (!template) throw new Error('oidc-provider no longer builds its logout form as formHtml');
    return template.replace('${action}', action).replace('${secret}', secret);
  };

  it("the logout confirmation posts oidc-provider's xsrf secret and logout=yes to its confirm URL", () => {
    const html = logoutPage('acme', providerForm('https://id.example/t/acme/session/end/confirm', 'f00dfeed'));
    expect(html).toContain(
      '<form id="op.logoutForm" method="post" action="https://id.example/t/acme/session/end/confirm"><input type="hidden" name="xsrf" value="f00dfeed"/><button type="submit" name="logout" value="yes">Sign out</button></form>',
    );
  });

  it('the logout confirmation shows a hostile tenant as text', () => {
    const html = logoutPage(HOSTILE, providerForm('https://id.example/t/acme/session/end/confirm', 'f00dfeed'));
    expect(html).not.toContain('<script');
    expect(html).toContain(`<p>Sign out of ${AS_TEXT}?</p>`);
  });

  it('refuses a provider form of any other shape rather than drop what it carries', () => {
    expect(parseLogoutForm(providerForm('/confirm', 'abc'))).toEqual({ action: '/confirm', xsrf: 'abc' });
    expect(() => parseLogoutForm('<form id="op.logoutForm" method="post" action="/confirm"><input type="hidden" name="xsrf" value="abc"/><input type="hidden" name="more" value="1"/></form>')).toThrow(
      /unknown shape/,
    );
    expect(() => parseLogoutForm(`<form id="op.logoutForm" method="post" action="/c">${HOSTILE}</form>`)).toThrow(/unknown shape/);
  });
});

describe("the demo app's pages", () => {
  it('show a hostile identity, claim and failure message as text', () => {
    const signedIn = signedInPage(HOSTILE, [['preferred_username', HOSTILE], [HOSTILE, 'x']]);
    expect(signedIn).not.toContain('<script');
    expect(signedIn).toContain(`<p id="identity" class="identity">${AS_TEXT}</p>`);
    expect(signedIn).toContain(`<tr><th>preferred_username</th><td><code>${AS_TEXT}</code></td></tr>`);
    expect(signedIn).toContain(`<tr><th>${AS_TEXT}</th><td><code>x</code></td></tr>`);
    const failed = signInFailedPage(HOSTILE);
    expect(failed).not.toContain('<script');
    expect(failed).toContain(`<h1>Sign-in failed</h1><p>${AS_TEXT}</p>`);
  });

  it('offer sign-in and sign-out as buttons', () => {
    expect(signedOutPage()).toContain('<form method="get" action="/login"><button type="submit">Sign in with ACME</button></form>');
    expect(signedInPage('john', [])).toContain('<form method="post" action="/logout"><button type="submit">Sign out</button></form>');
  });
});

describe('the stylesheet', () => {
  it('centres only a body that asks for it (the console lays out a plain body)', () => {
    const body = /(?:^|\n)body\{([^}]*)\}/.exec(STYLESHEET)?.[1];
    expect(body).toBeDefined();
    expect(body).not.toMatch(/display:flex|justify-content|align-items/);
    expect(STYLESHEET).toContain('body.centred{display:flex;min-height:100vh;align-items:center;justify-content:center}');
  });
});
