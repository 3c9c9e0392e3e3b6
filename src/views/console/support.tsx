import type { SupportStatus } from '../../support-access/support.js';
import type { RequestView } from '../../support-access/window.js';
import { formatTime, period, until } from './format.js';
import { ConsolePage, PostButton, type ConsoleFrame } from './layout.js';

/** What the user menu's "Support access" page shows. */
export interface SupportHomeView {
  frame: ConsoleFrame;
  /** null in management (never a support target) and in a support session. */
  status: SupportStatus | null;
  /** The signed-in user's own requests, newest first. */
  own: RequestView[];
  /** A tenant admin's "Disable support" closes every request of the tenant. */
  closesAll: boolean;
}

const stateWords: Record<RequestView['state'], string> = { active: 'Active', expired: 'Expired', closed: 'Closed' };

/** One sentence that says whether support staff can sign in now, and until when. */
export function AccessSummary(props: { status: SupportStatus; now: number }) {
  const { status, now } = props;
  if (!status.access.enabled) return <p class="state off">Support access is off: support staff cannot sign in to {status.tenant}.</p>;
  const how = status.access.via === 'global' ? ' (global access, set by the platform)' : '';
  return (
    <p class="state on">
      Support access is on {until(status.access.until, now)}
      {how}: support staff can sign in as any user of {status.tenant}.
    </p>
  );
}

export function RequestTable(props: { requests: RequestView[]; now: number; caption: string; showOpener?: boolean }) {
  if (props.requests.length === 0) return <p class="muted">No requests yet.</p>;
  return (
    // On a phone each row becomes a block of labelled fields (table.stack), so nothing scrolls sideways.
    <div class="table-wrap">
      <table class="stack">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            {props.showOpener ? <th scope="col">Opened by</th> : null}
            <th scope="col">Opened</th>
            <th scope="col">Period</th>
            <th scope="col">Reason</th>
            <th scope="col">Ends / closed</th>
          </tr>
        </thead>
        <tbody>
          {props.requests.map((r) => (
            <tr>
              <td data-label="State">
                <span class={`badge ${r.state}`}>{stateWords[r.state]}</span>
              </td>
              {props.showOpener ? <td data-label="Opened by">{r.openedBy.username}</td> : null}
              <td data-label="Opened">{formatTime(r.openedAt)}</td>
              <td data-label="Period">{period(r.hours)}</td>
              <td data-label="Reason">{r.reason ?? '—'}</td>
              <td data-label="Ends / closed">{r.closedAt !== null ? `closed ${formatTime(r.closedAt)}${r.closedBy ? ` by ${r.closedBy.username}` : ''}` : r.endsAt !== null ? formatTime(r.endsAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The user menu's page: status first, then the two buttons, then the user's own requests. */
export function SupportHome(v: SupportHomeView) {
  const f = v.frame;
  if (f.support) {
    return (
      <ConsolePage frame={f} title="Support session">
        <p>
          You are signed in to {f.tenant} as <strong>{f.username}</strong> for support, {until(f.support.until, f.now)}. Everything you do is recorded as{' '}
          <code>
            {f.support.actor}${f.username}
          </code>
          .
        </p>
        <p class="muted">A support session cannot enable or disable support, change {f.username}'s password, or open admin pages.</p>
      </ConsolePage>
    );
  }
  if (!v.status) {
    return (
      <ConsolePage frame={f} title="Support access">
        <p>The management tenant is never a support target: support staff sign in to customer tenants, each of which decides when to let them in.</p>
      </ConsolePage>
    );
  }
  const s = v.status;
  const global = s.globalAccess.on;
  const active = v.closesAll ? s.activeRequests : v.own.filter((r) => r.state === 'active').length;
  return (
    <ConsolePage frame={f} title="Support access">
      <AccessSummary status={s} now={f.now} />
      {global ? (
        <p class="hint" id="global-hint">
          Support access is enabled globally by the platform {until(s.globalAccess.until, f.now)}, so "Enable support" and "Disable support" are not needed now. They come back when global access ends.
        </p>
      ) : (
        <div class="actions">
          <a class="button" href={`${f.base}/support/enable`}>
            Enable support
          </a>
          {active > 0 ? (
            <a class="button secondary" href={`${f.base}/support/disable`}>
              Disable support
            </a>
          ) : null}
        </div>
      )}
      <h2>Your requests</h2>
      <RequestTable requests={v.own} now={f.now} caption="Support requests you opened, newest first" />
    </ConsolePage>
  );
}

/** "Enable support": the period chooser and the reason, before the confirmation. */
export function EnableForm(props: { frame: ConsoleFrame; hours: number[]; defaultHours: number; reason?: string; error?: string | undefined }) {
  const f = props.frame;
  return (
    <ConsolePage frame={f} title="Enable support">
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <p>Let the platform's support staff sign in to {f.tenant} as any of its users for a period you choose. You can disable it again at any time.</p>
      <form method="post" action={`${f.base}/support/enable/confirm`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <label for="hours">Period</label>
        <select id="hours" name="hours">
          {props.hours.map((h) => (
            <option value={String(h)} selected={h === props.defaultHours}>
              {period(h)}
            </option>
          ))}
        </select>
        <label for="reason">Reason or ticket (optional)</label>
        <input id="reason" name="reason" maxLength={500} value={props.reason ?? ''} autocomplete="off" />
        <div class="actions">
          <button type="submit">Continue</button>
          <a class="button secondary" href={f.base}>
            Cancel
          </a>
        </div>
      </form>
    </ConsolePage>
  );
}

/** What enabling grants, in one sentence, and the button that does it. */
export function EnableConfirm(props: { frame: ConsoleFrame; hours: number; reason: string; endsAt: number }) {
  const f = props.frame;
  return (
    <ConsolePage frame={f} title="Confirm: enable support">
      <p class="confirm" id="grant">
        Support staff can sign in as any user of {f.tenant} {until(props.endsAt, f.now)}.
      </p>
      <dl>
        <dt>Period</dt>
        <dd>{period(props.hours)}</dd>
        <dt>Reason</dt>
        <dd>{props.reason === '' ? '—' : props.reason}</dd>
      </dl>
      <form method="post" action={`${f.base}/support/enable`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <input type="hidden" name="hours" value={String(props.hours)} />
        <input type="hidden" name="reason" value={props.reason} />
        <div class="actions">
          <button type="submit">Enable support</button>
          <a class="button secondary" href={f.base}>
            Cancel
          </a>
        </div>
      </form>
    </ConsolePage>
  );
}

/** "Disable support": what it closes, and the button that does it. */
export function DisableConfirm(props: { frame: ConsoleFrame; closesAll: boolean; count: number }) {
  const f = props.frame;
  return (
    <ConsolePage frame={f} title="Confirm: disable support">
      <p class="confirm">
        {props.closesAll
          ? `This closes all ${props.count} active support requests of ${f.tenant}. Support staff signed in now are signed out on their next click, unless global access is on.`
          : `This closes your ${props.count} active support request${props.count === 1 ? '' : 's'}. Requests other users opened stay open.`}
      </p>
      <div class="actions">
        <PostButton action={`${f.base}/support/disable`} csrf={f.csrf} label="Disable support" />
        <a class="button secondary" href={f.base}>
          Cancel
        </a>
      </div>
    </ConsolePage>
  );
}
