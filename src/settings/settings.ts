import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';

/** Global support settings (SPEC §2), kept in the management tenant. */
export interface Settings {
  /** false, true, or an ISO date-time (UTC) until which global access is on. */
  'support.globalAccess': boolean | string;
  'support.requestHours': number;
  'support.maxRequestHours': number;
  'support.mode': 'full' | 'read-only';
}

export const DEFAULT_SETTINGS: Settings = {
  'support.globalAccess': false,
  'support.requestHours': 24,
  'support.maxRequestHours': 168,
  'support.mode': 'full',
};

export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[];

/**
 * Storage of settings records; the Redis implementation sits beside it. The management tenant's
 * record holds the global settings; another tenant's record holds its overrides.
 */
export interface SettingsStore {
  /** What was set explicitly; missing keys take their defaults. */
  read(tenant?: string): Promise<Partial<Settings>>;
  /** Read-modify-write, safe against concurrent writers. */
  update(mutate: (current: Partial<Settings>) => Partial<Settings>, tenant?: string): Promise<Partial<Settings>>;
}

/** Settings a tenant may override, and how. */
export const TENANT_SETTING_KEYS = ['support.mode'] as const;

const MODE_STRICTNESS = { full: 0, 'read-only': 1 } as const;

const hours = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number of hours')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1 hour').max(max, `must be at most ${max} hours`));

/** How a value typed on a command line or sent to the API becomes a setting value. */
const VALUE_PARSERS: { [K in SettingKey]: (clock: Clock) => z.ZodType<Settings[K], string> } = {
  'support.globalAccess': (clock) =>
    z.string().transform((s, ctx) => {
      if (s === 'true') return true;
      if (s === 'false') return false;
      const parsed = z.iso.datetime({ offset: true }).safeParse(s);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: 'must be true, false or an ISO date-time such as 2026-12-01T18:00:00Z' });
        return z.NEVER;
      }
      const until = Date.parse(s);
      if (until <= clock.now()) {
        ctx.addIssue({ code: 'custom', message: 'date-time is in the past; use false to switch global access off' });
        return z.NEVER;
      }
      return new Date(until).toISOString();
    }),
  'support.requestHours': () => hours(8760),
  'support.maxRequestHours': () => hours(8760),
  'support.mode': () => z.enum(['full', 'read-only'], { error: 'must be full or read-only' }),
};

/** The effective settings: stored values over the defaults. */
export async function getSettings(store: SettingsStore): Promise<Settings> {
  return { ...DEFAULT_SETTINGS, ...(await store.read()) };
}

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as string[]).includes(key);
}

/** A tenant's support mode: the global one, made stricter by the tenant's override if it has one. */
export async function supportModeOf(store: SettingsStore, tenant: string): Promise<{ effective: Settings['support.mode']; global: Settings['support.mode']; tenant: Settings['support.mode'] | null }> {
  const [global, own] = await Promise.all([getSettings(store), store.read(tenant)]);
  const override = own['support.mode'] ?? null;
  const effective = override !== null && MODE_STRICTNESS[override] > MODE_STRICTNESS[global['support.mode']] ? override : global['support.mode'];
  return { effective, global: global['support.mode'], tenant: override };
}

/**
 * A tenant's override of support.mode: `read-only` (stricter than a global `full`) or `inherit`
 * to drop it. A tenant can never loosen the global mode.
 */
async function setTenantMode(store: SettingsStore, tenant: string, rawValue: string) {
  if (rawValue !== 'read-only' && rawValue !== 'inherit' && rawValue !== 'full') {
    throw new AppError('TENANT_MODE_VALUES');
  }
  const global = (await getSettings(store))['support.mode'];
  if (rawValue === 'full') {
    throw new AppError('TENANT_MODE_NOT_STRICTER', undefined, { params: { global } });
  }
  let before: Settings['support.mode'] | 'inherit' = 'inherit';
  await store.update((current) => {
    before = current['support.mode'] ?? 'inherit';
    const { 'support.mode': _old, ...rest } = current;
    return rawValue === 'inherit' ? rest : { ...rest, 'support.mode': 'read-only' };
  }, tenant);
  return { key: 'support.mode' as SettingKey, before: before as Settings[SettingKey], after: rawValue as Settings[SettingKey], tenant };
}

/** Validates and stores one setting (global, or a tenant's override); returns the value before and after. */
export async function setSetting(
  store: SettingsStore,
  clock: Clock,
  key: string,
  rawValue: string,
  tenant?: string,
): Promise<{ key: SettingKey; before: Settings[SettingKey]; after: Settings[SettingKey]; tenant?: string }> {
  if (!isSettingKey(key)) throw new AppError('SETTING_UNKNOWN', undefined, { params: { key, known: SETTING_KEYS.join(', ') } });
  if (tenant !== undefined && tenant !== 'management') {
    if (!(TENANT_SETTING_KEYS as readonly string[]).includes(key)) {
      throw new AppError('SETTING_GLOBAL_ONLY', undefined, { params: { key, overridable: TENANT_SETTING_KEYS.join(', ') } });
    }
    return setTenantMode(store, tenant, rawValue);
  }
  const parsed = VALUE_PARSERS[key](clock).safeParse(rawValue);
  if (!parsed.success) throw new AppError('SETTING_VALUE_INVALID', undefined, { params: { key, problem: parsed.error.issues[0]!.message } });
  const value = parsed.data;
  let before: Settings[SettingKey] = DEFAULT_SETTINGS[key];
  await store.update((current) => {
    const effective = { ...DEFAULT_SETTINGS, ...current };
    before = effective[key];
    const next = { ...effective, [key]: value };
    if (next['support.requestHours'] > next['support.maxRequestHours']) {
      throw new AppError('REQUEST_HOURS_OVER_MAX', undefined, { params: { hours: String(next['support.requestHours']), max: String(next['support.maxRequestHours']) } });
    }
    return { ...current, [key]: value };
  });
  return { key, before, after: value };
}

/** Puts one setting back to the value it had (a change that could not be recorded). */
export async function restoreSetting(store: SettingsStore, key: SettingKey, before: Settings[SettingKey] | 'inherit', tenant?: string): Promise<void> {
  await store.update((s) => {
    const { [key]: _dropped, ...rest } = s;
    return before === 'inherit' ? rest : { ...rest, [key]: before };
  }, tenant);
}
