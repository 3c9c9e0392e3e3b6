import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The one catalogue of audit actions: stable dotted names auditors filter on. Adding an action
 * means adding it here; recording an unknown one is refused.
 */
export const AUDIT_ACTIONS = [
  'tenant.created',
  'tenant.suspended',
  'tenant.resumed',
  /** A tenant property other than its status changed (the forward-auth cookie domain). */
  'tenant.updated',
  /** A tenant's own signing keys, or the platform's (under management), were rotated. */
  'keys.rotated',
  /** Stored secrets were sealed anew with the newest CLIENT_SECRETS_KEY (counts only). */
  'keys.resealed',
  'user.created',
  'user.updated',
  'client.created',
  'client.updated',
  'client.secret.rotated',
  'settings.changed',
  'audit.queried',
  'audit.exported',
  'audit.verified',
  /** A page or API read the caller may not see (a write refused is recorded under its own action). */
  'access.denied',
  'login.succeeded',
  'login.failed',
  'logout',
  'consent.granted',
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'userinfo.read',
  'session.ended',
  /** A Logout Token reached a client's back-channel logout URI (200/204); one entry per attempt (src/oidc/backchannel-logout.ts). */
  'logout.delivered',
  /** An attempt to deliver a Logout Token failed (status, timeout, redirect, unreachable); `final` when no retry follows. */
  'logout.failed',
  'support.request.opened',
  'support.request.closed',
  'support.window.expired',
  'support.global.expired',
  'forward-auth.allowed',
  'forward-auth.denied',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const CHANNELS = ['login', 'console', 'api', 'cli', 'forward-auth', 'system'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Someone or something an entry names: a user (id, username, tenant) or another object. */
export interface Party {
  type: 'user' | 'tenant' | 'client' | 'setting' | 'audit' | 'service';
  id: string | null;
  name: string | null;
  tenant: string | null;
}

export interface AuditEntry {
  /** Stream id `<ms>-<n>`: unique in the tenant, increasing, the time index. */
  id: string;
  /** Position in the tenant's chain, from 1. */
  seq: number;
  /** Hash of the previous entry of the tenant (or of the retention anchor). */
  prev: string;
  /** UTC, milliseconds; equals the id's milliseconds. */
  time: string;
  tenant: string;
  /** `jill$john` for a support session, `john` otherwise, `cli:<os user>` or a service id for automation. */
  who: string;
  actor: Party | null;
  subject: Party | null;
  action: AuditAction;
  outcome: 'success' | 'failure';
  cause: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  clientId: string | null;
  requestId: string | null;
  channel: Channel;
  details: Record<string, string | number | boolean | null | string[]>;
  /** SHA-256 over the canonical serialisation of every other field. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

// Never recorded: values under such keys are secrets by name (a test greps for leaks too).
const SECRET_KEY = /pass(word)?|secret|token|cookie|authorization|credential|private/i;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const party = z.object({
  type: z.enum(['user', 'tenant', 'client', 'setting', 'audit', 'service']),
  id: text(200).nullable().default(null),
  name: text(200).nullable().default(null),
  tenant: text(63).nullable().default(null),
});
const detailValue = z.union([text(2000), z.number(), z.boolean(), z.null(), z.array(text(500)).max(50)]);

export const auditInputSchema = z.object({
  tenant: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'tenant id'),
  who: text(300).min(1),
  actor: party.nullable().default(null),
  subject: party.nullable().default(null),
  action: z.enum(AUDIT_ACTIONS, { error: 'not an action of the audit catalogue' }),
  outcome: z.enum(['success', 'failure']),
  cause: text(500).nullable().default(null),
  clientAddress: text(100).nullable().default(null),
  userAgent: text(500).nullable().default(null),
  clientId: text(200).nullable().default(null),
  requestId: text(200).nullable().default(null),
  channel: z.enum(CHANNELS),
  details: z
    .record(z.string().max(100), detailValue)
    .default({})
    .refine((d) => Object.keys(d).length <= 50, 'at most 50 details')
    .refine((d) => !Object.keys(d).some((k) => SECRET_KEY.test(k)), 'details must not carry secrets (password, token, secret, cookie...)'),
});
export type AuditInput = z.input<typeof auditInputSchema>;
export type ValidAuditInput = z.output<typeof auditInputSchema>;

/** JSON with object keys sorted at every depth: the byte form the hash commits to. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** The entry's hash: SHA-256 of the canonical JSON of every field but `hash` (prev included). */
export function hashEntry(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

