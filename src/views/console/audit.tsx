import { AUDIT_ACTIONS, type AuditEntry, type Party } from '../../audit/entry.js';
import type { VerifyResult } from '../../audit/verify.js';
import { ConsolePage, PostButton, type ConsoleFrame } from './layout.js';

/** The filter form as typed (empty: no filter); every link of the viewer carries it on. */
export interface AuditFilterFields {
  /** Only a platform auditor's form has the field; empty there means every tenant. */
  tenant: string;
  /** `YYYY-MM-DDTHH:MM[:SS]`, UTC (what a datetime-local field sends). */
  from: string;
  to: string;
  who: string;
  actor: string;
  subject: string;
  action: string;
  outcome: string;
}

export const NO_FILTER: AuditFilterFields = { tenant: '', from: '', to: '', who: '', actor: '', subject: '', action: '', outcome: '' };

/** The query string of a filter (empty fields left out), with more parameters (a cursor) after it. */
export function filterQuery(fields: Partial<AuditFilterFields>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...fields, ...extra })) if (value) params.set(name, value);
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

// Audit times to the second, with their zone: an auditor orders what happened within a minute.
const SECONDS = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC', timeZoneName: 'short' });
export const formatSecond = (epochMs: number) => SECONDS.format(new Date(epochMs));

/** "user management/jill", "tenant acme", "audit": a party as one line (its tenant when another). */
export function partyText(p: Party | null, tenant: string): string {
  if (!p) return '—';
  const where = p.tenant && p.tenant !== tenant ? `${p.tenant}/` : '';
  const name = p.name ?? p.id;
  return name ? `${p.type} ${where}${name}` : p.type;
}

/** Each family of actions as one choice (`support.*`), where it has more than one action. */
const ACTION_GROUPS = [...new Set(AUDIT_ACTIONS.map((a) => a.split('.')[0]!))].filter((g) => AUDIT_ACTIONS.filter((a) => a.startsWith(`${g}.`)).length > 1).map((g) => `${g}.*`);

function Outcome(props: { outcome: AuditEntry['outcome'] }) {
  return <span class={`badge ${props.outcome}`}>{props.outcome === 'success' ? 'Success' : 'Failure'}</span>;
}

export interface AuditPageView {
  frame: ConsoleFrame;
  fields: AuditFilterFields;
  /** A platform auditor: the tenant field, and a tenant column. */
  allTenants: boolean;
  /** The tenant whose log is shown; null: every tenant. */
  shown: string | null;
  entries: AuditEntry[];
  /** The cursor of this page (null on the first) and of the next (null at the end). */
  cursor: string | null;
  nextCursor: string | null;
}

/** The filters: every field labelled, times in UTC, sent as a plain GET (works without script). */
function FilterForm(props: { base: string; fields: AuditFilterFields; allTenants: boolean }) {
  const f = props.fields;
  return (
    <form method="get" action={`${props.base}/audit`} class="filters audit-filters" aria-label="Filter the audit log">
      {props.allTenants ? (
        <div>
          <label for="f-tenant">Tenant (empty: every tenant)</label>
          <input id="f-tenant" name="tenant" value={f.tenant} maxLength={63} autocomplete="off" />
        </div>
      ) : null}
      <div>
        <label for="f-from">From (UTC)</label>
        <input id="f-from" name="from" type="datetime-local" step="1" value={f.from} />
      </div>
      <div>
        <label for="f-to">To (UTC, inclusive)</label>
        <input id="f-to" name="to" type="datetime-local" step="1" value={f.to} />
      </div>
      <div>
        <label for="f-who">Who</label>
        <input id="f-who" name="who" value={f.who} maxLength={300} autocomplete="off" aria-describedby="f-who-hint" />
        <span class="hint" id="f-who-hint">
          e.g. john, jill$john; * matches anything
        </span>
      </div>
      <div>
        <label for="f-actor">Actor</label>
        <input id="f-actor" name="actor" value={f.actor} maxLength={300} autocomplete="off" aria-describedby="f-actor-hint" />
        <span class="hint" id="f-actor-hint">
          username or id; management/jill
        </span>
      </div>
      <div>
        <label for="f-subject">Subject</label>
        <input id="f-subject" name="subject" value={f.subject} maxLength={300} autocomplete="off" />
      </div>
      <div>
        <label for="f-action">Action</label>
        <select id="f-action" name="action">
          <option value="" selected={f.action === ''}>
            Any action
          </option>
          <optgroup label="Families">
            {ACTION_GROUPS.map((g) => (
              <option value={g} selected={f.action === g}>
                {g}
              </option>
            ))}
          </optgroup>
          <optgroup label="Actions">
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={f.action === a}>
                {a}
              </option>
            ))}
          </optgroup>
        </select>
      </div>
      <div>
        <label for="f-outcome">Outcome</label>
        <select id="f-outcome" name="outcome">
          <option value="" selected={f.outcome === ''}>
            Any outcome
          </option>
          <option value="success" selected={f.outcome === 'success'}>
            Success
          </option>
          <option value="failure" selected={f.outcome === 'failure'}>
            Failure
          </option>
        </select>
      </div>
      <div class="actions">
        <button type="submit">Apply filters</button>
        <a class="button secondary" href={`${props.base}/audit`}>
          Clear
        </a>
      </div>
    </form>
  );
}

/** What the page shows, in one sentence, before the table. */
function summary(v: AuditPageView): string {
  const where = v.shown === null ? 'every tenant' : v.shown;
  const n = v.entries.length;
  if (n === 0) return `No entries of ${where} match these filters${v.cursor ? ' after the previous page' : ''}.`;
  const more = v.nextCursor ? '; older entries follow' : '';
  return `${n} entr${n === 1 ? 'y' : 'ies'} of ${where}, newest first${v.cursor ? ', continued' : ''}${more}.`;
}

/** The audit viewer: filters, the status sentence, export and verify, then the entries. */
export function AuditPage(v: AuditPageView) {
  const f = v.frame;
  const query = filterQuery(v.fields);
  return (
    <ConsolePage frame={f} title="Audit log">
      <p class="state" id="summary" role="status">
        {summary(v)}
      </p>
      <FilterForm base={f.base} fields={v.fields} allTenants={v.allTenants} />
      <div class="actions">
        <a class="button secondary" href={`${f.base}/audit/export.csv${query}`}>
          Download CSV
        </a>
        <a class="button secondary" href={`${f.base}/audit/export.jsonl${query}`}>
          Download JSONL
        </a>
        <PostButton action={`${f.base}/audit/verify`} csrf={f.csrf} label="Verify chain" className="secondary verify" fields={v.fields.tenant ? { tenant: v.fields.tenant } : {}} />
      </div>
      <p class="hint">Viewing, downloading and verifying are recorded in the audit log too.</p>
      {v.entries.length === 0 ? null : (
        <div class="table-wrap">
          <table class="stack">
            <caption>Audit entries, newest first; open an entry's time for all its fields</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {v.allTenants ? <th scope="col">Tenant</th> : null}
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Subject</th>
                <th scope="col">Cause</th>
              </tr>
            </thead>
            <tbody>
              {v.entries.map((e) => (
                <tr>
                  <td class="nowrap" data-label="Time">
                    <a href={`${f.base}/audit/entries/${e.tenant}/${encodeURIComponent(e.id)}${query}`}>{formatSecond(Date.parse(e.time))}</a>
                  </td>
                  {v.allTenants ? <td data-label="Tenant">{e.tenant}</td> : null}
                  <td class="wrap" data-label="Who">
                    {e.who}
                  </td>
                  <td data-label="Action">{e.action}</td>
                  <td data-label="Outcome">
                    <Outcome outcome={e.outcome} />
                  </td>
                  <td class="wrap" data-label="Subject">
                    {partyText(e.subject, e.tenant)}
                  </td>
                  <td class="wrap" data-label="Cause">
                    {e.cause ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {v.nextCursor || v.cursor ? (
        <nav class="actions" aria-label="Pages of entries">
          {v.nextCursor ? (
            <a class="button" href={`${f.base}/audit${filterQuery(v.fields, { cursor: v.nextCursor })}`}>
              Load more
            </a>
          ) : null}
          {v.cursor ? <a href={`${f.base}/audit${query}`}>Back to the newest entries</a> : null}
        </nav>
      ) : null}
    </ConsolePage>
  );
}

function Details(props: { details: AuditEntry['details'] }) {
  const rows = Object.entries(props.details);
  if (rows.length === 0) return <>—</>;
  return (
    <dl class="nested">
      {rows.map(([k, value]) => (
        <>
          <dt>{k}</dt>
          <dd>{value === null ? '—' : Array.isArray(value) ? value.join(', ') : String(value)}</dd>
        </>
      ))}
    </dl>
  );
}

/** One entry with every field: the sentence first (who did what, how it ended), then the fields. */
export function AuditEntryPage(props: { frame: ConsoleFrame; entry: AuditEntry; back: string }) {
  const e = props.entry;
  const orNone = (s: string | null) => s ?? '—';
  return (
    <ConsolePage frame={props.frame} title="Audit entry">
      <p class={`state ${e.outcome === 'success' ? 'on' : 'broken'}`} id="entry-summary">
        {e.who} — {e.action}: {e.outcome}
        {e.cause ? ` (${e.cause})` : ''} at {formatSecond(Date.parse(e.time))}.
      </p>
      <dl class="entry">
        <dt>Id</dt>
        <dd>
          <code>{e.id}</code>
        </dd>
        <dt>Time</dt>
        <dd>
          {formatSecond(Date.parse(e.time))} <span class="muted">· {e.time}</span>
        </dd>
        <dt>Tenant</dt>
        <dd>{e.tenant}</dd>
        <dt>Who</dt>
        <dd>{e.who}</dd>
        <dt>Actor</dt>
        <dd>
          {partyText(e.actor, e.tenant)}
          {e.actor?.id ? <span class="muted"> (id {e.actor.id})</span> : null}
        </dd>
        <dt>Subject</dt>
        <dd>
          {partyText(e.subject, e.tenant)}
          {e.subject?.id ? <span class="muted"> (id {e.subject.id})</span> : null}
        </dd>
        <dt>Action</dt>
        <dd>{e.action}</dd>
        <dt>Outcome</dt>
        <dd>
          <Outcome outcome={e.outcome} />
        </dd>
        <dt>Cause</dt>
        <dd>{orNone(e.cause)}</dd>
        <dt>Channel</dt>
        <dd>{e.channel}</dd>
        <dt>Client address</dt>
        <dd>{orNone(e.clientAddress)}</dd>
        <dt>User agent</dt>
        <dd>{orNone(e.userAgent)}</dd>
        <dt>Client id</dt>
        <dd>{orNone(e.clientId)}</dd>
        <dt>Request id</dt>
        <dd>{orNone(e.requestId)}</dd>
        <dt>Details</dt>
        <dd>
          <Details details={e.details} />
        </dd>
        <dt>Position in the chain</dt>
        <dd>{e.seq}</dd>
        {e.hash ? (
          <>
            <dt>Hash</dt>
            <dd>
              <code>{e.hash}</code>
            </dd>
          </>
        ) : null}
        {e.prev ? (
          <>
            <dt>Previous hash</dt>
            <dd>
              <code>{e.prev}</code>
            </dd>
          </>
        ) : null}
      </dl>
      <p>
        <a href={props.back}>Back to the results</a>
      </p>
    </ConsolePage>
  );
}

/** One tenant's verdict in plain words (what `supportgate audit verify` prints, for a page). */
function verdict(r: VerifyResult): { ok: boolean; note: string } {
  const pending = r.pendingActions ? `${r.pendingActions} action${r.pendingActions === 1 ? '' : 's'} under way or interrupted, not recorded yet.` : '';
  if (!r.ok) return { ok: false, note: `Broken at position ${r.position}${r.id ? ` (id ${r.id})` : ''}: ${r.reason}.` };
  const gaps = r.indexGaps ?? [];
  if (gaps.length > 0) {
    const who = [...new Set(gaps.map((g) => g.actor ?? g.actorId))].join(', ');
    return { ok: false, note: `${gaps.length} entr${gaps.length === 1 ? 'y' : 'ies'} of ${who} missing from the support index (the chain itself is intact). ${pending}` };
  }
  const d = r.digests;
  const signed = d ? `Signed digests: ${d.matched} matched${d.uncovered > 0 ? `; the newest ${d.uncovered} entr${d.uncovered === 1 ? 'y is' : 'ies are'} not covered by a digest yet` : ''}. ` : '';
  return { ok: true, note: `${signed}${pending}` };
}

/** The result of "Verify chain": intact or not first, then each tenant's verdict. */
export function VerifyPage(props: { frame: ConsoleFrame; scope: string | null; results: VerifyResult[]; back: string }) {
  const verdicts = props.results.map((r) => ({ r, ...verdict(r) }));
  const broken = verdicts.filter((v) => !v.ok);
  const entries = props.results.reduce((n, r) => n + r.entries, 0);
  const where = props.scope ?? `every tenant (${props.results.length})`;
  return (
    <ConsolePage frame={props.frame} title="Audit log verification">
      {broken.length === 0 ? (
        <p class="state on" id="verdict" role="status">
          OK: the audit log of {where} is intact, {entries.toLocaleString('en')} entr{entries === 1 ? 'y' : 'ies'} checked.
        </p>
      ) : (
        <p class="state broken" id="verdict" role="alert">
          Verification failed: the audit log of {broken.map((v) => v.r.tenant).join(', ')} {broken.length === 1 ? 'was' : 'were'} changed or is incomplete.
        </p>
      )}
      <div class="table-wrap">
        <table class="stack">
          <caption>Each tenant's hash chain</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Result</th>
              <th scope="col">Entries checked</th>
            </tr>
          </thead>
          <tbody>
            {verdicts.map((v) => (
              <tr>
                <td data-label="Tenant">{v.r.tenant}</td>
                <td class="wrap" data-label="Result">
                  <span class={`badge ${v.ok ? 'success' : 'failure'}`}>{v.ok ? 'OK' : 'Failed'}</span> {v.note}
                </td>
                <td data-label="Entries checked">{v.r.entries.toLocaleString('en')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <a href={props.back}>Back to the audit log</a>
      </p>
    </ConsolePage>
  );
}
