/**
 * The pages people see: plain HTML, no script at all (the CSP forbids inline script), one
 * stylesheet at /static/supportgate.css. Every value is escaped.
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/static/supportgate.css">
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>`;
}

export interface LoginView {
  action: string;
  csrf: string;
  tenant: string;
  username?: string;
  error?: string | undefined;
  clientName: string;
}

export function loginPage(v: LoginView): string {
  return page(
    `Sign in to ${v.tenant}`,
    `<h1>Sign in</h1>
<p class="muted">to <strong>${escapeHtml(v.clientName)}</strong></p>
${v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : ''}
<form method="post" action="${escapeHtml(v.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<label for="tenant">Tenant ID</label>
<input id="tenant" name="tenant" value="${escapeHtml(v.tenant)}" required autocapitalize="off" spellcheck="false">
<label for="username">Username</label>
<input id="username" name="username" value="${escapeHtml(v.username ?? '')}" required autofocus autocapitalize="off" spellcheck="false" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
<p class="hint">Support staff: <code>support_user$user</code> with your own password.</p>`,
  );
}

export function consentPage(v: { action: string; csrf: string; clientName: string; scopes: string[]; tenant: string }): string {
  return page(
    'Allow access',
    `<h1>Allow access</h1>
<p><strong>${escapeHtml(v.clientName)}</strong> asks to use your ${escapeHtml(v.tenant)} account: ${v.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ')}</p>
<form method="post" action="${escapeHtml(v.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(v.csrf)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

/** RP-initiated logout confirmation: oidc-provider's form (xsrf included) with a visible button. */
export function logoutPage(tenant: string, form: string): string {
  return page(
    'Sign out',
    `<h1>Sign out</h1><p>Sign out of ${escapeHtml(tenant)}?</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
  );
}

export const STYLESHEET = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f5f8;color:#1d2433;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
.card{background:#fff;padding:2rem 2.25rem;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:100%;max-width:22rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
.muted,.hint{color:#5b6577;font-size:.9rem}
label{display:block;font-weight:600;margin:1rem 0 .3rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem .65rem;border:1px solid #c4cad4;border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:6px;background:#2457d6;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e6e9ef;color:#1d2433}
.error{background:#fdecec;color:#9b1c1c;padding:.6rem .75rem;border-radius:6px}
code{background:#eef1f6;padding:0 .25rem;border-radius:4px}
.identity{font-size:1.3rem;font-weight:700;color:#2457d6}
table{border-collapse:collapse;margin-top:1rem;font-size:.85rem}th{text-align:left;padding:.2rem .6rem .2rem 0;color:#5b6577}td code{word-break:break-all}
`;
