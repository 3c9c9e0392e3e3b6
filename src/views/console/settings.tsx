import type { Settings } from '../../settings/settings.js';
import { FormButtons, FormError } from './directory.js';
import { formatTime, period, until } from './format.js';
import { ConsolePage, type ConsoleFrame } from './layout.js';

type Mode = Settings['support.mode'];

const MODE_WORDS: Record<Mode, { label: string; hint: string }> = {
  full: { label: 'Full', hint: 'support sessions may read and change, like the user they act as' },
  'read-only': { label: 'Read-only', hint: 'through the gateway, support sessions may only read (GET, HEAD, OPTIONS)' },
};

/** The value a datetime-local field shows for an instant, in UTC ("2026-12-01T18:00"). */
export const utcLocalValue = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 16);

function Hidden(props: { csrf: string; settingKey: string }) {
  return (
    <>
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="key" value={props.settingKey} />
    </>
  );
}

function Radio(props: { name: string; value: string; id: string; checked: boolean; label: string; hint?: string; describedBy?: string }) {
  return (
    <label class="check" for={props.id}>
      <input type="radio" id={props.id} name={props.name} value={props.value} checked={props.checked} aria-describedby={props.describedBy} />
      <span>
        {props.label}
        {props.hint ? <span class="muted"> — {props.hint}</span> : null}
      </span>
    </label>
  );
}

/** One setting counted in hours, in a form of its own. */
function HoursForm(props: { action: string; csrf: string; settingKey: 'support.requestHours' | 'support.maxRequestHours'; label: string; value: number; submit: string; hint?: string }) {
  const id = props.settingKey.replace('support.', '');
  return (
    <form method="post" action={props.action} class="stacked">
      <Hidden csrf={props.csrf} settingKey={props.settingKey} />
      <label for={id}>{props.label}</label>
      <input type="number" id={id} name="value" min={1} max={8760} step={1} required value={String(props.value)} aria-describedby={props.hint ? `${id}-hint` : undefined} />
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FormButtons submit={props.submit} />
    </form>
  );
}

/** What a global access setting means now, in one sentence. */
function globalWords(access: { on: boolean; until: number | null }, now: number): string {
  if (!access.on) return 'Global support access is off: support staff enter a tenant only while one of its users has enabled support.';
  return `Global support access is on ${until(access.until, now)}: support staff may sign in to every tenant in their scope, as any user, with no request.`;
}

/** The management tenant's settings: the global support settings, each saved on its own. */
export function GlobalSettingsPage(props: { frame: ConsoleFrame; settings: Settings; access: { on: boolean; until: number | null }; error?: string | undefined }) {
  const f = props.frame;
  const s = props.settings;
  const a = props.access;
  const choice = !a.on ? 'off' : a.until === null ? 'on' : 'until';
  const action = `${f.base}/settings`;
  return (
    <ConsolePage frame={f} title="Global support settings">
      <FormError error={props.error} />
      <p class={`state ${a.on ? 'on' : 'off'}`} id="global-state">
        {globalWords(a, f.now)}
      </p>
      <dl id="settings-now">
        <dt>Default request period</dt>
        <dd>{period(s['support.requestHours'])}</dd>
        <dt>Longest request period</dt>
        <dd>{period(s['support.maxRequestHours'])}</dd>
        <dt>Support mode</dt>
        <dd>
          {MODE_WORDS[s['support.mode']].label}: {MODE_WORDS[s['support.mode']].hint}
        </dd>
      </dl>

      <h2 id="h-global">Global access</h2>
      <form method="post" action={action} class="stacked" aria-labelledby="h-global">
        <Hidden csrf={f.csrf} settingKey="support.globalAccess" />
        <fieldset>
          <legend>Support staff may enter every tenant in their scope</legend>
          <Radio name="access" value="off" id="access-off" checked={choice === 'off'} label="Off" hint="only where a tenant's user enabled support" />
          <Radio name="access" value="on" id="access-on" checked={choice === 'on'} label="On, with no end" />
          <Radio name="access" value="until" id="access-until" checked={choice === 'until'} label="On until a date and time" describedBy="until-hint" />
          <label for="until">Until (UTC)</label>
          <input type="datetime-local" id="until" name="until" value={a.on && a.until !== null ? utcLocalValue(a.until) : ''} aria-describedby="until-hint" />
          <p class="hint" id="until-hint">
            For "On until": the date and time in UTC{a.on && a.until !== null ? ` (now: ${formatTime(a.until)})` : ''}. Tenants' own requests still apply after it.
          </p>
        </fieldset>
        <FormButtons submit="Save global access" />
      </form>

      <h2 id="h-requests">Support requests</h2>
      <HoursForm action={action} csrf={f.csrf} settingKey="support.requestHours" label="Default period of a request (hours)" value={s['support.requestHours']} submit="Save default period" hint={'What "Enable support" offers first; at most the longest period.'} />
      <HoursForm action={action} csrf={f.csrf} settingKey="support.maxRequestHours" label="Longest period a user may choose (hours)" value={s['support.maxRequestHours']} submit="Save longest period" />

      <h2 id="h-mode">Support mode</h2>
      <form method="post" action={action} class="stacked" aria-labelledby="h-mode">
        <Hidden csrf={f.csrf} settingKey="support.mode" />
        <fieldset>
          <legend>What support sessions may do</legend>
          {(['full', 'read-only'] as const).map((m) => (
            <Radio name="value" value={m} id={`mode-${m}`} checked={s['support.mode'] === m} label={MODE_WORDS[m].label} hint={MODE_WORDS[m].hint} />
          ))}
        </fieldset>
        <p class="hint">A tenant may make it stricter for itself.</p>
        <FormButtons submit="Save support mode" />
      </form>
    </ConsolePage>
  );
}

/** A customer tenant's settings: its own, stricter support mode beside the global one. */
export function TenantSettingsPage(props: { frame: ConsoleFrame; mode: { effective: Mode; global: Mode; tenant: Mode | null }; error?: string | undefined }) {
  const f = props.frame;
  const m = props.mode;
  return (
    <ConsolePage frame={f} title="Settings">
      <FormError error={props.error} />
      <p class={`state ${m.effective === 'full' ? 'on' : 'off'}`} id="mode-state">
        Support sessions in {f.tenant} are {m.effective === 'full' ? 'not limited: they may read and change, like the user they act as' : 'read-only: through the gateway they may only read'}.
      </p>
      <dl id="mode-now">
        <dt>Global mode (set by the platform)</dt>
        <dd>{MODE_WORDS[m.global].label}</dd>
        <dt>{f.tenant}'s own mode</dt>
        <dd>{m.tenant === null ? 'Follows the global mode' : MODE_WORDS[m.tenant].label}</dd>
        <dt>In effect</dt>
        <dd>{MODE_WORDS[m.effective].label}</dd>
      </dl>
      <h2 id="h-mode">Support mode</h2>
      <form method="post" action={`${f.base}/settings`} class="stacked" aria-labelledby="h-mode">
        <Hidden csrf={f.csrf} settingKey="support.mode" />
        <fieldset>
          <legend>What support sessions may do in {f.tenant}</legend>
          <Radio name="value" value="inherit" id="mode-inherit" checked={m.tenant === null} label={`Follow the global mode (now ${MODE_WORDS[m.global].label.toLowerCase()})`} />
          <Radio name="value" value="read-only" id="mode-read-only" checked={m.tenant === 'read-only'} label="Read-only" hint={MODE_WORDS['read-only'].hint} />
        </fieldset>
        <p class="hint">A tenant can make the mode stricter than the platform's, never looser.</p>
        <FormButtons submit="Save support mode" />
      </form>
    </ConsolePage>
  );
}
