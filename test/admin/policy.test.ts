import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.js';
import { ADMIN_ACTIONS, API_SCOPES, authorize, REFUSAL_MESSAGES, requireAuthorized, type AdminAction, type RefusalReason } from '../../src/admin/policy.js';
import type { Principal } from '../../src/admin/principal.js';

/** Who asks. Tenant-side principals live in acme; platform-side ones in management. */
const PRINCIPALS = {
  user: { kind: 'user', tenant: 'acme', userId: 'u-john', username: 'john', roles: ['user'] },
  't-admin': { kind: 'user', tenant: 'acme', userId: 'u-ada', username: 'ada', roles: ['tenant-admin'] },
  auditor: { kind: 'user', tenant: 'acme', userId: 'u-aud', username: 'audrey', roles: ['auditor'] },
  'p-admin': { kind: 'user', tenant: 'management', userId: 'm-pat', username: 'pat', roles: ['platform-admin'] },
  'p-audit': { kind: 'user', tenant: 'management', userId: 'm-paul', username: 'paul', roles: ['auditor'] },
  // Support staff signed in to management as herself: role support alone is no admin right.
  staff: { kind: 'user', tenant: 'management', userId: 'm-jill', username: 'jill', roles: ['support'] },
  // tenant-admin held in management: no rights there (else it could grant itself platform-admin).
  'm-tadm': { kind: 'user', tenant: 'management', userId: 'm-max', username: 'max', roles: ['tenant-admin'] },
  // jill$john: acts as john of acme.
  session: { kind: 'support', tenant: 'acme', userId: 'u-john', username: 'john', actor: { id: 'm-jill', username: 'jill' } },
  operator: { kind: 'operator', name: 'cli:ops' },
  // Scopes it may hold (reads) and two it can never use (a write, a platform action).
  client: { kind: 'client', tenant: 'acme', clientId: 'acme-reports', scopes: ['audit:read', 'users:read', 'support:read', 'users:write', 'tenants:write'] },
} as const satisfies Record<string, Principal>;

type Who = keyof typeof PRINCIPALS;
const WHO = Object.keys(PRINCIPALS) as Who[];
/** Each cell's three letters are these targets: own tenant (acme), other tenant (beta), management. */
const TARGETS = ['acme', 'beta', 'management'] as const;
const SELF = 'user.password.set (self)';
type Row = AdminAction | typeof SELF;

/*
 * Written by hand from SPEC §1-§2, not from the policy: Y allowed, . refused; columns in WHO order.
 *                                 user   t-admin auditor p-admin p-audit staff  m-tadm session operator client */
const EXPECTED: Record<Row, readonly string[]> = {
  // §1 platform admin: "tenants"; nobody in a tenant creates, lists, suspends or changes tenants.
  'tenant.create':               ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
  'tenant.list':                 ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
  'tenant.suspend':              ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
  'tenant.resume':               ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
  'tenant.update':               ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
  // §1 tenant admin "manages users ... of the tenant"; platform admin: "support users and their scopes".
  'user.create':                 ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  'user.update':                 ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  'user.password.set':           ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  // Everyone changes their own password, except a support session (§2 "can never ... change passwords").
  [SELF]:                        ['Y..', 'Y..', 'Y..', '..Y', '..Y', '..Y', '..Y', '...', 'YYY', '...'],
  'user.list':                   ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', 'Y..'],
  // §1 tenant admin manages "OIDC clients of the tenant".
  'client.create':               ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  'client.list':                 ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  'client.rotate-secret':        ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  'client.update':               ['...', 'Y..', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  // §2 "Support settings (global, in the management tenant)"; a tenant admin reads its own tenant's.
  'settings.get':                ['...', 'Y..', '...', 'YYY', '...', '...', '...', '...', 'YYY', 'Y..'],
  'settings.set':                ['...', '...', '...', '..Y', '...', '...', '...', '...', 'YYY', '...'],
  // §2 "A tenant may set its own stricter mode": the tenant's admin, not the platform.
  'settings.set-tenant-mode':    ['...', 'Y..', '...', '...', '...', '...', '...', '...', 'YYY', '...'],
  // §2 "Any active user of a tenant may open one"; "The management tenant is never a support target".
  'support.open':                ['Y..', 'Y..', 'Y..', '...', '...', '...', '...', '...', 'YYY', '...'],
  'support.close':               ['Y..', 'Y..', 'Y..', '...', '...', '...', '...', '...', 'YYY', '...'],
  // §2 "a tenant-admin closing support closes all requests of the tenant".
  'support.close-all':           ['...', 'Y..', '...', '...', '...', '...', '...', '...', 'YYY', '...'],
  // §2 "Tenant status": the tenant's users see it, the platform admin sees every tenant's.
  'support.status':              ['Y..', 'Y..', 'Y..', 'YY.', '...', '...', '...', '...', 'YYY', 'Y..'],
  // §1 auditor: "a tenant auditor: own tenant; a platform auditor: all tenants".
  'audit.query':                 ['...', '...', 'Y..', '...', 'YYY', '...', '...', '...', 'YYY', 'Y..'],
  'audit.export':                ['...', '...', 'Y..', '...', 'YYY', '...', '...', '...', 'YYY', 'Y..'],
  'audit.verify':                ['...', '...', 'Y..', '...', 'YYY', '...', '...', '...', 'YYY', 'Y..'],
  // Issue 14: signing keys are the platform's to rotate (a tenant's own keys too); nobody in a tenant.
  'keys.rotate':                 ['...', '...', '...', 'YYY', '...', '...', '...', '...', 'YYY', '...'],
};

const ROWS = Object.keys(EXPECTED) as Row[];
const actionOf = (row: Row): AdminAction => (row === SELF ? 'user.password.set' : row);
/** The self row targets the asker's own id (in every tenant column: only its own tenant makes it "self"). */
const targetOf = (row: Row, who: Principal, tenant: string) => ({
  tenant,
  userId: row === SELF ? ('userId' in who ? who.userId : undefined) : row === 'user.password.set' ? 'u-someone-else' : undefined,
});
const cell = (row: Row, who: Who) =>
  TARGETS.map((t) => (authorize(PRINCIPALS[who], actionOf(row), targetOf(row, PRINCIPALS[who], t)).allowed ? 'Y' : '.')).join('');

describe('the permission table (SPEC §1-§2)', () => {
  it('has a row for every admin action and a column for every principal', () => {
    expect(ROWS.filter((r) => r !== SELF).sort()).toEqual([...ADMIN_ACTIONS].sort());
    for (const row of ROWS) expect(EXPECTED[row]).toHaveLength(WHO.length);
  });

  it('decides every principal × action × own/other/management tenant as SPEC says', () => {
    const width = Math.max(...ROWS.map((r) => r.length)) + 2;
    const lines = [
      `permission table: ${WHO.length} principals × ${ROWS.length} actions × ${TARGETS.length} targets; each cell = acme(own) beta(other) management; Y allowed, . refused, ! differs from expected`,
      ''.padEnd(width) + WHO.map((w) => w.padEnd(9)).join(''),
    ];
    const mismatches: string[] = [];
    for (const row of ROWS) {
      const cells = WHO.map((who, i) => {
        const actual = cell(row, who);
        const expected = EXPECTED[row][i];
        if (actual !== expected) mismatches.push(`${who} × ${row}: expected ${expected}, got ${actual}`);
        return (actual + (actual === expected ? ' ' : '!')).padEnd(9);
      });
      lines.push(row.padEnd(width) + cells.join(''));
    }
    console.log(lines.join('\n'));
    expect(mismatches).toEqual([]);
  });

  it('allows something to every principal but the support session, and refuses something to all but the operator', () => {
    // Guards the table against a policy that collapses to "yes" or "no" for a whole principal.
    for (const [i, who] of WHO.entries()) {
      const column = ROWS.map((r) => EXPECTED[r][i]).join('');
      expect([who, column.includes('Y')]).toEqual([who, who !== 'session']);
      expect([who, column.includes('.')]).toEqual([who, who !== 'operator']);
    }
  });
});

describe('refusals say why', () => {
  const cases: [Who, AdminAction, { tenant: string; userId?: string }, RefusalReason][] = [
    ['session', 'support.close', { tenant: 'acme' }, 'support-session-never-manages'],
    ['session', 'user.password.set', { tenant: 'acme', userId: 'u-john' }, 'support-session-never-manages'],
    ['session', 'audit.query', { tenant: 'acme' }, 'support-session-never-manages'],
    ['t-admin', 'user.create', { tenant: 'beta' }, 'other-tenant'],
    ['auditor', 'audit.query', { tenant: 'beta' }, 'other-tenant'],
    ['auditor', 'user.update', { tenant: 'acme' }, 'auditor-only-reads'],
    ['user', 'user.list', { tenant: 'acme' }, 'not-an-admin'],
    ['user', 'support.close-all', { tenant: 'acme' }, 'not-an-admin'],
    ['t-admin', 'audit.query', { tenant: 'acme' }, 'auditors-only'],
    ['p-admin', 'audit.export', { tenant: 'acme' }, 'auditors-only'],
    ['t-admin', 'tenant.suspend', { tenant: 'acme' }, 'platform-admin-only'],
    ['t-admin', 'tenant.update', { tenant: 'acme' }, 'platform-admin-only'],
    ['t-admin', 'settings.set', { tenant: 'management' }, 'platform-admin-only'],
    ['p-admin', 'settings.set', { tenant: 'acme' }, 'settings-are-global'],
    ['p-admin', 'user.password.set', { tenant: 'acme', userId: 'u-john' }, 'tenant-directory-belongs-to-tenant'],
    ['p-admin', 'client.create', { tenant: 'acme' }, 'tenant-directory-belongs-to-tenant'],
    ['p-admin', 'settings.set-tenant-mode', { tenant: 'acme' }, 'tenant-owns-its-mode'],
    ['m-tadm', 'user.update', { tenant: 'management' }, 'management-needs-platform-admin'],
    ['user', 'support.open', { tenant: 'management' }, 'management-never-a-support-target'],
    ['p-admin', 'support.status', { tenant: 'management' }, 'management-never-a-support-target'],
    ['staff', 'support.status', { tenant: 'acme' }, 'other-tenant'],
    ['client', 'user.create', { tenant: 'acme' }, 'client-action-not-grantable'],
    ['client', 'client.list', { tenant: 'acme' }, 'client-scope-missing'],
    ['client', 'audit.query', { tenant: 'beta' }, 'other-tenant'],
  ];
  it.each(cases)('%s asking %s in %j is refused: %s', (who, action, target, reason) => {
    expect(authorize(PRINCIPALS[who], action, target)).toEqual({ allowed: false, reason, message: REFUSAL_MESSAGES[reason] });
  });

  it('every refusal in the table carries its catalogue message', () => {
    for (const row of ROWS) for (const who of WHO) for (const t of TARGETS) {
      const d = authorize(PRINCIPALS[who], actionOf(row), targetOf(row, PRINCIPALS[who], t));
      if (!d.allowed) expect(d.message).toBe(REFUSAL_MESSAGES[d.reason]);
    }
  });

  it('requireAuthorized throws FORBIDDEN (403) with the message, and passes when allowed', () => {
    const err = (() => {
      try {
        requireAuthorized(PRINCIPALS.session, 'support.open', { tenant: 'acme' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', status: 403, message: REFUSAL_MESSAGES['support-session-never-manages'] });
    expect(() => requireAuthorized(PRINCIPALS.user, 'support.open', { tenant: 'acme' })).not.toThrow();
  });
});

describe('roles as the policy reads them', () => {
  it('a management-only role claimed outside management grants nothing', () => {
    const forged: Principal = { kind: 'user', tenant: 'acme', userId: 'u-eve', username: 'eve', roles: ['platform-admin', 'support'] };
    for (const action of ['tenant.create', 'settings.set', 'user.create'] as const) {
      expect(authorize(forged, action, { tenant: 'management' }).allowed).toBe(false);
      expect(authorize(forged, action, { tenant: 'acme' }).allowed).toBe(false);
    }
  });

  it('roles add up: a tenant admin who is also auditor manages users and reads the audit log of its tenant only', () => {
    const both: Principal = { kind: 'user', tenant: 'acme', userId: 'u-bo', username: 'bo', roles: ['tenant-admin', 'auditor'] };
    expect(authorize(both, 'user.create', { tenant: 'acme' }).allowed).toBe(true);
    expect(authorize(both, 'audit.export', { tenant: 'acme' }).allowed).toBe(true);
    expect(authorize(both, 'audit.export', { tenant: 'beta' }).allowed).toBe(false);
  });

  it('a client without scopes may do nothing, even the actions a client can be granted', () => {
    const bare: Principal = { kind: 'client', tenant: 'acme', clientId: 'acme-app', scopes: [] };
    for (const action of ADMIN_ACTIONS) expect([action, authorize(bare, action, { tenant: 'acme' }).allowed]).toEqual([action, false]);
  });

  it("a user id equal to the asker's but in another tenant is not the asker's own password", () => {
    expect(authorize(PRINCIPALS.user, 'user.password.set', { tenant: 'beta', userId: 'u-john' })).toMatchObject({ allowed: false, reason: 'other-tenant' });
  });
});

describe('the JSON API scopes', () => {
  it('cover every admin action exactly once', () => {
    const covered = Object.values(API_SCOPES).flat();
    expect([...covered].sort()).toEqual([...ADMIN_ACTIONS].sort());
  });

  it("limit a user's token to its scopes on top of the user's roles", () => {
    const auditor = { ...PRINCIPALS.auditor, scopes: ['support:write'] };
    expect(authorize(auditor, 'audit.query', { tenant: 'acme' })).toMatchObject({ allowed: false, reason: 'token-scope-missing' });
    expect(authorize(auditor, 'support.open', { tenant: 'acme' }).allowed).toBe(true);
    // The scope never adds a right the roles do not give.
    expect(authorize({ ...PRINCIPALS.user, scopes: ['audit:read'] }, 'audit.query', { tenant: 'acme' }).allowed).toBe(false);
    expect(authorize({ ...auditor, scopes: ['audit:read'] }, 'audit.query', { tenant: 'acme' }).allowed).toBe(true);
  });
});
