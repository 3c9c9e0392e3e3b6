import { CardPage } from './document.js';
import { renderPage } from './render.js';

export interface ConsentView {
  action: string;
  csrf: string;
  clientName: string;
  scopes: string[];
  tenant: string;
}

/** Asks the signed-in person whether a third-party client may use their account. */
export function ConsentPage(v: ConsentView) {
  return (
    <CardPage title="Allow access">
      <h1>Allow access</h1>
      <p>
        <strong>{v.clientName}</strong> asks to use your {v.tenant} account:
        {v.scopes.flatMap((s, i) => [' ', <code key={i}>{s}</code>])}
      </p>
      <form method="post" action={v.action}>
        <input type="hidden" name="csrf" value={v.csrf} />
        <button type="submit" name="decision" value="allow">
          Allow
        </button>
        <button type="submit" name="decision" value="deny" class="secondary">
          Deny
        </button>
      </form>
    </CardPage>
  );
}

export function consentPage(v: ConsentView): string {
  return renderPage(<ConsentPage {...v} />);
}
