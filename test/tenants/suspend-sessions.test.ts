import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionRevoker, SupportSession } from '../../src/support-access/sessions.js';
import { openSupportRequest } from '../../src/support-access/support.js';
import { resumeTenant, suspendTenant } from '../../src/tenants/tenants.js';
import { enderWorld, type EnderWorld } from '../support-access/ender-world.js';

/** Where sessions are kept, as the ender sees it; records what it was asked to end. */
class RecordingRevoker implements SessionRevoker {
  readonly revoked: string[] = [];
  readonly tenantSweeps: string[] = [];
  /** Called once a tenant sweep has run (lets a test act between the first sweep and the second). */
  onSweep: () => Promise<void> = async () => {};
  async stampOf(): Promise<SupportSession | null> {
    return null;
  }
  async revoke(tenant: string, uid: string): Promise<{ grants: number }> {
    this.revoked.push(`${tenant}/${uid}`);
    return { grants: 1 };
  }
  async revokeTenant(tenant: string): Promise<number> {
    this.tenantSweeps.push(tenant);
    await this.onSweep();
    return 3;
  }
}

describe("a tenant's suspension, as the session ender hears it", () => {
  let w: EnderWorld;
  beforeAll(async () => {
    w = await enderWorld('suspend-sessions');
    await openSupportRequest(w.domain, { tenant: 'acme', username: 'john', hours: 1 });
  });
  afterAll(async () => w.close());

  it("ends each support session of the tenant with its own entry, then sweeps the tenant, and again once every issuer has seen it", async () => {
    await w.store.save(w.session('s1'));
    await w.store.save(w.session('s2'));
    await suspendTenant(w.domain, 'acme');
    const revoker = new RecordingRevoker();
    await w.enderWith(revoker).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.revoked.sort()).toEqual(['acme/s1', 'acme/s2']);
    expect((await w.ended()).map((e) => [e.who, e.cause, e.details.trigger])).toEqual([
      ['jill$john', 'tenant-suspended', 'tenant.suspended'],
      ['jill$john', 'tenant-suspended', 'tenant.suspended'],
    ]);
    expect(await w.store.inTenant('acme')).toEqual([]);
    expect(revoker.tenantSweeps).toEqual(['acme', 'acme']);
    await resumeTenant(w.domain, 'acme');
  });

  it('skips the second sweep when the tenant was resumed meanwhile, so sessions begun after the resume stay', async () => {
    await suspendTenant(w.domain, 'acme');
    const revoker = new RecordingRevoker();
    revoker.onSweep = async () => {
      await resumeTenant(w.domain, 'acme');
    };
    await w.enderWith(revoker).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.tenantSweeps).toEqual(['acme']);
  });

  it('still ends the support sessions through a revoker that cannot sweep a tenant', async () => {
    await w.store.save(w.session('s3'));
    await suspendTenant(w.domain, 'acme');
    const revoker = new RecordingRevoker();
    const withoutSweep: SessionRevoker = { stampOf: async () => null, revoke: (tenant, uid) => revoker.revoke(tenant, uid) };
    const before = (await w.ended()).length;
    await w.enderWith(withoutSweep).onEvent({ type: 'tenant.suspended', tenant: 'acme' });
    expect(revoker.revoked).toEqual(['acme/s3']);
    expect((await w.ended()).length).toBe(before + 1);
    await resumeTenant(w.domain, 'acme');
  });
});
