import type { PublicClientRecord } from '../../clients/clients.js';
import { FormButtons, FormError, Unseen } from './directory.js';
import { formatTime } from './format.js';
import { ConsolePage, type ConsoleFrame } from './layout.js';

export const clientPath = (base: string, clientId: string) => `${base}/clients/${encodeURIComponent(clientId)}`;

function TypeBadge(props: { client: PublicClientRecord }) {
  const c = props.client;
  const kind = c.resourceServer ? 'Resource server' : c.public ? 'Public' : 'Confidential';
  return <span class="badge">{kind}</span>;
}

function UriList(props: { uris: string[] }) {
  if (props.uris.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="plain">
      {props.uris.map((u) => (
        <li>
          <code>{u}</code>
        </li>
      ))}
    </ul>
  );
}

/** The tenant's OIDC clients: one row each, with what can be changed. */
export function ClientList(props: { frame: ConsoleFrame; clients: PublicClientRecord[] }) {
  const f = props.frame;
  return (
    <ConsolePage frame={f} title="Clients">
      <p>
        {props.clients.length === 0 ? 'No apps are registered' : props.clients.length === 1 ? '1 app is registered' : `${props.clients.length} apps are registered`} to sign their users in through {f.tenant}.
        Confidential clients (server-side apps) authenticate with a secret; public clients (browser and mobile apps) use PKCE instead.
      </p>
      <div class="actions">
        <a class="button" href={`${f.base}/clients/new`}>
          Register a client
        </a>
      </div>
      {props.clients.length === 0 ? null : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Clients">
          <table id="clients" class="stack">
            <caption>OIDC clients of {f.tenant}, by client ID</caption>
            <thead>
              <tr>
                <th scope="col">Client ID</th>
                <th scope="col">Type</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Created</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {props.clients.map((c) => (
                <tr>
                  <td data-label="Client ID">
                    <code>{c.clientId}</code>
                  </td>
                  <td data-label="Type">
                    <TypeBadge client={c} />
                  </td>
                  <td class="wrap" data-label="Redirect URIs">
                    <UriList uris={c.redirectUris} />
                  </td>
                  <td class="nowrap" data-label="Created">
                    {formatTime(Date.parse(c.createdAt))}
                  </td>
                  <td data-label="Change">
                    <ul class="plain">
                      {c.resourceServer ? null : (
                        <li>
                          <a href={`${clientPath(f.base, c.clientId)}/edit`}>
                            Edit URIs<Unseen>{` of ${c.clientId}`}</Unseen>
                          </a>
                        </li>
                      )}
                      {c.public ? null : (
                        <li>
                          <a href={`${clientPath(f.base, c.clientId)}/rotate`}>
                            Rotate secret<Unseen>{` of ${c.clientId}`}</Unseen>
                          </a>
                        </li>
                      )}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </ConsolePage>
  );
}

export interface NewClientValues {
  clientId: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  public: boolean;
}

function UriFields(props: { redirectUris: string; postLogoutRedirectUris: string }) {
  return (
    <>
      <label for="redirectUris">Redirect URIs</label>
      <textarea id="redirectUris" name="redirectUris" rows={3} spellcheck={false} aria-describedby="redirectUris-hint">
        {props.redirectUris}
      </textarea>
      <p class="hint" id="redirectUris-hint">
        One a line: where the app receives the signed-in user, e.g. <code>https://app.example.com/callback</code> (<code>http://</code> only for localhost).
      </p>
      <label for="postLogoutRedirectUris">Post-logout redirect URIs (optional)</label>
      <textarea id="postLogoutRedirectUris" name="postLogoutRedirectUris" rows={2} spellcheck={false} aria-describedby="postLogoutRedirectUris-hint">
        {props.postLogoutRedirectUris}
      </textarea>
      <p class="hint" id="postLogoutRedirectUris-hint">
        One a line: where the app may send the user after signing out.
      </p>
    </>
  );
}

export function NewClientForm(props: { frame: ConsoleFrame; values?: NewClientValues; error?: string | undefined }) {
  const f = props.frame;
  const v = props.values ?? { clientId: '', redirectUris: '', postLogoutRedirectUris: '', public: false };
  return (
    <ConsolePage frame={f} title="Register a client">
      <FormError error={props.error} />
      <form method="post" action={`${f.base}/clients`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <label for="clientId">Client ID</label>
        <input id="clientId" name="clientId" value={v.clientId} required maxLength={100} autocomplete="off" spellcheck={false} aria-describedby="clientId-hint" />
        <p class="hint" id="clientId-hint">
          Letters, digits and . _ - (up to 100), e.g. <code>billing-web</code>. It cannot change later.
        </p>
        <UriFields redirectUris={v.redirectUris} postLogoutRedirectUris={v.postLogoutRedirectUris} />
        <label class="check" for="public">
          <input type="checkbox" id="public" name="public" value="on" checked={v.public} />
          <span>
            Public client <span class="muted">— a browser or mobile app that cannot keep a secret: no secret, PKCE only</span>
          </span>
        </label>
        <FormButtons submit="Register client" cancel={`${f.base}/clients`} />
      </form>
    </ConsolePage>
  );
}

/**
 * A client secret, shown on this one page only (never stored in clear, never in a URL or a
 * flash): what the app's configuration needs, and the warning that it will not be shown again.
 */
export function SecretShown(props: { frame: ConsoleFrame; client: PublicClientRecord; secret: string | null; rotated: boolean }) {
  const f = props.frame;
  const c = props.client;
  return (
    <ConsolePage frame={f} title={props.rotated ? `New secret for ${c.clientId}` : `Client ${c.clientId} registered`}>
      {props.secret === null ? (
        <p class="state on">
          {c.clientId} is registered as a public client: it has no secret and signs users in with PKCE.
        </p>
      ) : (
        <>
          <p class="confirm" id="secret-warning">
            {props.rotated
              ? `${c.clientId} has a new secret, and the old one no longer works. Copy the new secret into the app's configuration now: it is shown only this once.`
              : `Copy the client secret into the app's configuration now: it is shown only this once. If it is lost, rotate it to get a new one.`}
          </p>
          <label for="client-secret">Client secret</label>
          {/* A text area, so that a phone shows the whole secret (wrapped) rather than a scrolled part. */}
          <textarea id="client-secret" class="secret" readOnly rows={2} spellcheck={false} autocomplete="off">
            {props.secret}
          </textarea>
        </>
      )}
      <dl>
        <dt>Client ID</dt>
        <dd>
          <code>{c.clientId}</code>
        </dd>
        <dt>Issuer</dt>
        <dd>
          <code>/t/{f.tenant}</code> on this gateway (discovery at <code>/t/{f.tenant}/.well-known/openid-configuration</code>)
        </dd>
        <dt>Redirect URIs</dt>
        <dd>
          <UriList uris={c.redirectUris} />
        </dd>
      </dl>
      <div class="actions">
        <a class="button" href={`${f.base}/clients`}>
          Done
        </a>
      </div>
    </ConsolePage>
  );
}

export function EditClientForm(props: { frame: ConsoleFrame; client: PublicClientRecord; values?: { redirectUris: string; postLogoutRedirectUris: string }; error?: string | undefined }) {
  const f = props.frame;
  const c = props.client;
  const v = props.values ?? { redirectUris: c.redirectUris.join('\n'), postLogoutRedirectUris: c.postLogoutRedirectUris.join('\n') };
  return (
    <ConsolePage frame={f} title={`Redirect URIs of ${c.clientId}`}>
      <FormError error={props.error} />
      <p>Sign-ins and sign-outs of {c.clientId} may return only to these addresses. The change applies to the next sign-in.</p>
      <form method="post" action={`${clientPath(f.base, c.clientId)}/edit`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <UriFields redirectUris={v.redirectUris} postLogoutRedirectUris={v.postLogoutRedirectUris} />
        <FormButtons submit="Save URIs" cancel={`${f.base}/clients`} />
      </form>
    </ConsolePage>
  );
}

/** What rotating does, before it is done: the old secret stops working at once. */
export function RotateConfirm(props: { frame: ConsoleFrame; client: PublicClientRecord }) {
  const f = props.frame;
  const c = props.client;
  return (
    <ConsolePage frame={f} title={`Rotate the secret of ${c.clientId}?`}>
      <p class="confirm">
        {c.clientId} gets a new secret, shown once on the next page. The current secret stops working at once: the app cannot sign anyone in until its configuration has the new
        one. Tokens it already holds stay valid until they expire.
      </p>
      <form method="post" action={`${clientPath(f.base, c.clientId)}/rotate`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <FormButtons submit="Rotate secret" cancel={`${f.base}/clients`} danger />
      </form>
    </ConsolePage>
  );
}
