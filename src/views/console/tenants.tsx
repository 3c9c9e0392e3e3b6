import type { SupportStatus } from '../../support-access/support.js';
import { MANAGEMENT_TENANT, type Tenant } from '../../tenants/tenants.js';
import { FormButtons, FormError } from './directory.js';
import { formatTime } from './format.js';
import { ConsolePage, PostButton, type ConsoleFrame } from './layout.js';
import { SupportLoginsTable } from './properties.js';
import { AccessSummary, RequestTable } from './support.js';

export const tenantPath = (base: string, id: string) => `${base}/tenants/${encodeURIComponent(id)}`;

function StatusBadge(props: { tenant: Tenant }) {
  return <span class={`badge ${props.tenant.status}`}>{props.tenant.status === 'active' ? 'Active' : 'Suspended'}</span>;
}

export interface NewTenantValues {
  id: string;
  name: string;
  domains: string;
}

/** Every tenant (how many are suspended first), then the form that adds one. */
export function TenantList(props: { frame: ConsoleFrame; tenants: Tenant[]; values?: NewTenantValues; error?: string | undefined }) {
  const f = props.frame;
  const suspended = props.tenants.filter((t) => t.status === 'suspended').length;
  const customers = props.tenants.filter((t) => t.id !== MANAGEMENT_TENANT).length;
  const v = props.values ?? { id: '', name: '', domains: '' };
  return (
    <ConsolePage frame={f} title="Tenants">
      <p>
        {customers} customer tenant{customers === 1 ? '' : 's'}
        {suspended > 0 ? `, ${suspended} of them suspended` : ''}, and the management tenant. Open a tenant for its support access, requests and last support logins.
      </p>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Tenants">
        <table id="tenants" class="stack">
          <caption>Tenants of the platform, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Tenant ID</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Domains</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {props.tenants.map((t) => (
              <tr>
                <td data-label="Tenant ID">{t.id === MANAGEMENT_TENANT ? <strong>{t.id}</strong> : <a href={tenantPath(f.base, t.id)}>{t.id}</a>}</td>
                <td data-label="Name">{t.name}</td>
                <td data-label="Status">
                  <StatusBadge tenant={t} />
                </td>
                <td class="wrap" data-label="Domains">
                  {t.domains.length === 0 ? <span class="muted">—</span> : t.domains.join(', ')}
                </td>
                <td class="nowrap" data-label="Created">
                  {formatTime(Date.parse(t.createdAt))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="new-tenant">New tenant</h2>
      <FormError error={props.error} />
      <form method="post" action={`${f.base}/tenants`} class="stacked" aria-labelledby="new-tenant">
        <input type="hidden" name="csrf" value={f.csrf} />
        <label for="tenant-id">Tenant ID</label>
        <input id="tenant-id" name="id" value={v.id} required maxLength={63} autocomplete="off" spellcheck={false} aria-describedby="tenant-id-hint" />
        <p class="hint" id="tenant-id-hint">
          2–63 characters: a lowercase letter, then lowercase letters, digits or -. Its issuer will be <code>/t/&lt;id&gt;</code>; the ID cannot change later.
        </p>
        <label for="tenant-name">Name (optional)</label>
        <input id="tenant-name" name="name" value={v.name} maxLength={200} autocomplete="off" />
        <label for="tenant-domains">Domains (optional)</label>
        <input id="tenant-domains" name="domains" value={v.domains} autocomplete="off" spellcheck={false} aria-describedby="tenant-domains-hint" />
        <p class="hint" id="tenant-domains-hint">
          Host names whose login screen picks this tenant, separated by spaces or commas, e.g. <code>acme.example.com</code>.
        </p>
        <FormButtons submit="Create tenant" />
      </form>
    </ConsolePage>
  );
}

/** A tenant's page for the platform admin: its status first, then its support properties, then suspend or resume. */
export function TenantPage(props: { frame: ConsoleFrame; tenant: Tenant; status: SupportStatus }) {
  const f = props.frame;
  const t = props.tenant;
  const s = props.status;
  const active = t.status === 'active';
  const requests = [...s.requests].reverse();
  return (
    <ConsolePage frame={f} title={`Tenant ${t.id}`}>
      <p class={`state ${active ? 'on' : 'off'}`} id="tenant-state">
        {active
          ? `${t.id} is active: its users can sign in.`
          : `${t.id} is suspended${t.suspendedAt ? ` since ${formatTime(Date.parse(t.suspendedAt))}` : ''}: its issuer and console answer "not found", and nobody can sign in.`}
      </p>
      <dl>
        <dt>Name</dt>
        <dd>{t.name}</dd>
        <dt>Domains</dt>
        <dd>{t.domains.length === 0 ? '—' : t.domains.join(', ')}</dd>
        <dt>Created</dt>
        <dd>{formatTime(Date.parse(t.createdAt))}</dd>
        <dt>Support mode</dt>
        <dd>
          {s.mode.effective === 'read-only' ? 'Read-only' : 'Full'} ({s.mode.tenant ? `the tenant's own stricter mode; the global mode is ${s.mode.global}` : 'the global mode'})
        </dd>
      </dl>
      <div class="actions">
        {active ? (
          <a class="button secondary" href={`${tenantPath(f.base, t.id)}/suspend`}>
            Suspend {t.id}…
          </a>
        ) : (
          <PostButton action={`${tenantPath(f.base, t.id)}/resume`} csrf={f.csrf} label={`Resume ${t.id}`} />
        )}
      </div>

      <h2>Support access</h2>
      <AccessSummary status={s} now={f.now} />
      <h2>Support requests</h2>
      <RequestTable requests={requests} now={f.now} caption={`Every support request of ${t.id}, newest first`} showOpener />
      <h2>Last support logins</h2>
      {s.lastLogins.length === 0 ? (
        <p class="muted">No support logins yet.</p>
      ) : (
        <SupportLoginsTable logins={s.lastLogins} caption={`Support staff who signed in to ${t.id}, newest first`} />
      )}
      <p>
        <a href={`${f.base}/tenants`}>Back to tenants</a>
      </p>
    </ConsolePage>
  );
}

/** What suspending does, before it is done: every session of the tenant ends. */
export function SuspendConfirm(props: { frame: ConsoleFrame; tenant: Tenant }) {
  const f = props.frame;
  const t = props.tenant;
  return (
    <ConsolePage frame={f} title={`Suspend ${t.id}?`}>
      <p class="confirm" id="suspend-warning">
        Suspending {t.id} ends every session of the tenant at once: its users and any support staff signed in are signed out, and its apps' tokens stop working. Nobody can sign in
        to {t.id} until you resume it, and sessions ended now stay ended after a resume.
      </p>
      <div class="actions">
        <PostButton action={`${tenantPath(f.base, t.id)}/suspend`} csrf={f.csrf} label={`Suspend ${t.id}`} className="danger" />
        <a class="button secondary" href={tenantPath(f.base, t.id)}>
          Cancel
        </a>
      </div>
    </ConsolePage>
  );
}
