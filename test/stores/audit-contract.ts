import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GENESIS_HASH, type AuditEntry, type AuditInput } from '../../src/audit/entry.js';
import { queryPage } from '../../src/audit/query.js';
import { RedisAuditStore } from '../../src/audit/redis-audit-store.js';
import { verifyTenantLog } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { MANAGEMENT_TENANT } from '../../src/tenants/tenants.js';
import type { StoreWorld } from './world.js';

const DAY = 86_400_000;

function entry(tenant: string, n: number, actor?: { id: string; name: string }): AuditInput {
  return {
    tenant,
    who: actor ? `${actor.name}$john` : 'john',
    actor: actor ? { type: 'user', id: actor.id, name: actor.name, tenant: MANAGEMENT_TENANT } : { type: 'user', id: 'id-john', name: 'john', tenant },
    action: 'userinfo.read',
    outcome: 'success',
    channel: 'login',
    details: { n },
  };
}

/** The audit store: the append script with its head check, the actor index, reads and retention. */
export function describeAuditStoreContract(world: () => StoreWorld): void {
  describe('audit', () => {
    const store = () => new RedisAuditStore(world().redis, world().prefix);

    it('chains the entries of two processes appending to one tenant at once into one unbroken log', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const clock = new ManualClock();
      // Two audit logs over one store are two processes: each chains onto the head it last saw.
      const [a, b] = [new AuditLog(store(), clock, undefined), new AuditLog(store(), clock, undefined)];
      const recorded = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).record(entry('audit-race', i))));
      expect(recorded.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      expect(await store().length('audit-race')).toBe(80);
      expect(await verifyTenantLog(store(), 'audit-race')).toMatchObject({ ok: true, entries: 80, firstSeq: 1, lastSeq: 80 });
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:audit-race']);
    });

    it('refuses an append chained onto a head that has moved, writes none of it, and answers the current head', async () => {
      const { keys } = world();
      const head = await store().head('audit-race');
      const [newest] = await store().newest('audit-race', '+', '-', 1);
      const late = { ...(JSON.parse(newest!.json) as AuditEntry), id: `${Date.UTC(2027, 0, 1)}-0` };
      const before = await keys.snapshot();
      const result = await store().appendIfHead('audit-race', { seq: 0, hash: GENESIS_HASH, lastId: '0-0' }, [late]);
      expect(result).toEqual({ ok: false, head });
      expect(await store().length('audit-race')).toBe(80);
      expect(await keys.tagsWrittenSince(before)).toEqual([]);
    });

    it("finds a support user's entries in every tenant through the actor's index, newest first", async () => {
      const { domain, keys } = world();
      const jill = { id: randomUUID(), name: 'jill' };
      const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
      await domain.users.create({ id: jill.id, tenant: MANAGEMENT_TENANT, username: 'jill', roles: ['support'], enabled: true, scope: ['*'], passwordHash: 'x', createdAt: at, updatedAt: at });
      const clock = new ManualClock();
      const log = new AuditLog(store(), clock, undefined);
      const before = await keys.snapshot();
      for (const [i, tenant] of ['audit-one', 'audit-two', 'audit-one'].entries()) {
        clock.advance(1000);
        await log.record(entry(tenant, i, jill));
        await log.record(entry(tenant, 100 + i));
      }
      expect((await store().newestRefs(jill.id, '+', 10)).map((r) => r.tenant)).toEqual(['audit-one', 'audit-two', 'audit-one']);
      const page = await queryPage({ audit: store(), tenants: domain.tenants, users: domain.users }, { who: 'jill$*' }, 10);
      expect(page.entries.map((e) => [e.tenant, e.details.n])).toEqual([['audit-one', 2], ['audit-two', 1], ['audit-one', 0]]);
      expect(await keys.tagsWrittenSince(before)).toEqual([`a:${jill.id}`, 't:audit-one', 't:audit-two']);
    });

    it('trims entries older than the retention cutoff and anchors the kept log on the newest removed one', async () => {
      const { keys } = world();
      const before = await keys.snapshot();
      const clock = new ManualClock();
      const log = new AuditLog(store(), clock, undefined);
      const old = [];
      for (let i = 0; i < 3; i++) old.push(await log.record(entry('audit-kept', i)));
      clock.advance(DAY);
      for (let i = 3; i < 5; i++) await log.record(entry('audit-kept', i));
      expect(await store().trimBefore('audit-kept', clock.now())).toBe(3);
      expect(await store().anchor('audit-kept')).toEqual({ seq: 3, hash: old[2]!.hash });
      expect(await store().length('audit-kept')).toBe(2);
      expect(await verifyTenantLog(store(), 'audit-kept')).toMatchObject({ ok: true, entries: 2, firstSeq: 4, lastSeq: 5 });
      expect(await store().trimBefore('audit-kept', clock.now())).toBe(0);
      expect(await keys.tagsWrittenSince(before)).toEqual(['t:audit-kept']);
    });
  });
}
