import type { SupportStatus } from '../../support-access/support.js';
import type { SupportLogin } from '../../support-access/store.js';
import { filterQuery, formatSecond } from './audit.js';
import { formatTime } from './format.js';
import { ConsolePage, type ConsoleFrame } from './layout.js';
import { AccessSummary, RequestTable } from './support.js';

export interface PropertiesView {
  frame: ConsoleFrame;
  status: SupportStatus;
  /** The viewer may open the audit log (role auditor): each login links to its entries. */
  auditor: boolean;
}

// A login is noted just after its login.succeeded entry: a few seconds of slack keep that entry in.
const LOGIN_SLACK_MS = 5_000;

/** The audit viewer filtered on one support login: its who, from just before it signed in. */
/** The last support logins of a tenant (Properties; a tenant's page in management). */
export function SupportLoginsTable(props: { logins: SupportLogin[]; caption: string; link?: ((login: SupportLogin) => string) | undefined }) {
  return (
    <div class="table-wrap">
      <table id="support-logins" class="stack">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Signed in as</th>
            <th scope="col">Support user</th>
            <th scope="col">User</th>
          </tr>
        </thead>
        <tbody>
          {props.logins.map((l) => (
            <tr>
              <td class="nowrap" data-label="When">
                {formatSecond(l.at)}
              </td>
              <td class="wrap" data-label="Signed in as">
                {props.link ? <a href={props.link(l)}>{l.who}</a> : l.who}
              </td>
              <td data-label="Support user">{l.supportUser}</td>
              <td data-label="User">{l.user}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function loginAuditLink(base: string, login: SupportLogin): string {
  const from = new Date(Math.floor((login.at - LOGIN_SLACK_MS) / 1000) * 1000).toISOString().slice(0, 19);
  return `${base}/audit${filterQuery({ who: login.who, from })}`;
}

/** "enabled until …" as `supportgate support status` words it. */
function accessText(s: SupportStatus): string {
  if (!s.access.enabled) return 'Disabled';
  const via = s.access.via === 'global' ? 'global access' : 'support requests';
  return s.access.until === null ? `Enabled, no limit (${via})` : `Enabled until ${formatTime(s.access.until)} (${via})`;
}

function globalText(s: SupportStatus): string {
  if (!s.globalAccess.on) return 'Off';
  return s.globalAccess.until === null ? 'On, no limit' : `On until ${formatTime(s.globalAccess.until)}`;
}

function modeText(s: SupportStatus): string {
  return `${s.mode.effective} (${s.mode.tenant ? `this tenant's stricter mode; the global mode is ${s.mode.global}` : 'the global mode'})`;
}

/** The tenant's support properties: whether support can enter first, then the settings behind it, the requests and the logins. */
export function PropertiesPage(v: PropertiesView) {
  const { frame: f, status: s } = v;
  const requests = [...s.requests].reverse();
  return (
    <ConsolePage frame={f} title="Properties">
      <AccessSummary status={s} now={f.now} />
      <h2>Access details</h2>
      <dl id="support-properties">
        <dt>Support user access</dt>
        <dd>{accessText(s)}</dd>
        <dt>Expiry date</dt>
        <dd>{!s.access.enabled ? '—' : s.access.until === null ? 'No limit' : formatTime(s.access.until)}</dd>
        <dt>Active requests</dt>
        <dd>{s.activeRequests}</dd>
        <dt>Global access</dt>
        <dd>{globalText(s)}</dd>
        <dt>Support mode</dt>
        <dd>{modeText(s)}</dd>
      </dl>
      <h2>Support requests</h2>
      <div>
        <RequestTable requests={requests} now={f.now} caption="Every support request of the tenant, newest first" showOpener />
      </div>
      <h2>Last support logins</h2>
      {s.lastLogins.length === 0 ? (
        <p class="muted">No support logins yet.</p>
      ) : (
        <>
          <SupportLoginsTable
            logins={s.lastLogins}
            caption={`Support staff who signed in, newest first${v.auditor ? '; open one to see what it did' : ''}`}
            link={v.auditor ? (l) => loginAuditLink(f.base, l) : undefined}
          />
          {v.auditor ? null : <p class="hint">What each support session did is in the audit log, which the tenant's auditors can open.</p>}
        </>
      )}
    </ConsolePage>
  );
}
