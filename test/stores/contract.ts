import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config.js';
import type { Domain } from '../../src/domain.js';
import type { AccessEvent } from '../../src/events.js';
import { AppError } from '../../src/errors.js';
import type { RedisClient } from '../../src/redis/client.js';
import type { Tenant } from '../../src/tenants/tenants.js';
import type { User } from '../../src/users/users.js';
import type { ClientRecord } from '../../src/clients/clients.js';
import { openDomain } from '../support/env.js';
import { describeAuditStoreContract } from './audit-contract.js';
import { KeyLedger } from './key-shape.js';
import { describeLoginLimitsContract } from './login-limits-contract.js';
import { describeOidcAdapterContract } from './oidc-adapter-contract.js';
import { describeSupportSessionStoreContract, describeSupportWindowStoreContract } from './support-contract.js';
import type { StoreWorld } from './world.js';

const iso = (ms: number) => new Date(ms).toISOString();

function tenant(id: string, createdAt: number, domains: string[] = []): Tenant {
  return { id, name: id.toUpperCase(), domains, status: 'active', createdAt: iso(createdAt) };
}

function user(tenantId: string, id: string, username: string, createdAt: number): User {
  return { id, tenant: tenantId, username, roles: ['user'], enabled: true, scope: [], passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', createdAt: iso(createdAt), updatedAt: iso(createdAt) };
}

function client(tenantId: string, clientId: string): ClientRecord {
  return { clientId, tenant: tenantId, redirectUris: ['https://app.example.com/cb'], postLogoutRedirectUris: [], public: false, firstParty: false, sealedSecret: 'v1.sealed', createdAt: iso(1) };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(AppError);
  await promise.catch((err: AppError) => expect(err.code).toBe(code));
}

/**
 * The one contract every store implementation passes, run against standalone Redis and against a
 * real Redis Cluster. On the cluster the server itself refuses (CROSSSLOT) any script, MULTI or
 * multi-key command whose keys span slots, so every multi-key operation below doubles as the
 * proof that it stays in one slot. Every case of the audit, support, OIDC and login-limit stores
 * also checks the shape of each key it wrote (see key-shape.ts) and which hash tags they carry.
 */
export function describeStoreContract(label: string, makeConfig: () => Config): void {
  describe(`stores on ${label}`, () => {
    let domain: Domain;
    let redis: RedisClient;
    let close: () => Promise<void>;
    let config: Config;
    let world: StoreWorld;

    beforeAll(async () => {
      config = makeConfig();
      ({ domain, redis, close } = await openDomain(config));
      world = { config, redis, domain, prefix: config.redis.prefix, keys: new KeyLedger(redis, config.redis.prefix) };
    });
    afterAll(async () => close());

    describe('tenants', () => {
      it('creates a tenant, finds it by id and domain, and lists tenants oldest first', async () => {
        await domain.tenants.create(tenant('zeta', 2000, ['zeta.example.com']));
        await domain.tenants.create(tenant('alpha', 1000));
        expect(await domain.tenants.get('zeta')).toMatchObject({ id: 'zeta', domains: ['zeta.example.com'] });
        expect((await domain.tenants.findByDomain('ZETA.example.com'))?.id).toBe('zeta');
        expect(await domain.tenants.findByDomain('nobody.example.com')).toBeNull();
        expect((await domain.tenants.list()).map((t) => t.id)).toEqual(['alpha', 'zeta']);
      });

      it('refuses an existing tenant id', async () => {
        await expectCode(domain.tenants.create(tenant('zeta', 3000)), 'TENANT_EXISTS');
      });

      it('refuses a tenant whose domain is taken, and creates nothing of it', async () => {
        await expectCode(domain.tenants.create(tenant('omega', 4000, ['free.example.com', 'zeta.example.com'])), 'DOMAIN_TAKEN');
        expect(await domain.tenants.get('omega')).toBeNull();
        expect(await domain.tenants.findByDomain('free.example.com')).toBeNull();
      });

      it('removes a tenant it created (an undone creation) with its domains, leaving the domains free', async () => {
        const undone = tenant('undone', 5000, ['undone.example.com']);
        await domain.tenants.create(undone);
        await domain.tenants.remove(undone);
        expect(await domain.tenants.get('undone')).toBeNull();
        expect(await domain.tenants.findByDomain('undone.example.com')).toBeNull();
        expect((await domain.tenants.list()).map((t) => t.id)).toEqual(['alpha', 'zeta']);
        await domain.tenants.create(tenant('other', 6000, ['undone.example.com']));
        expect((await domain.tenants.findByDomain('undone.example.com'))?.id).toBe('other');
        await domain.tenants.remove(tenant('other', 6000, ['undone.example.com']));
      });

      it('keeps every one of many concurrent updates of one tenant, and refuses changes to its id or domains', async () => {
        await Promise.all(Array.from({ length: 20 }, (_, i) => domain.tenants.update('zeta', (t) => ({ ...t, name: `${t.name}+${i}` }))));
        expect((await domain.tenants.get('zeta'))!.name.split('+')).toHaveLength(21);
        await expect(domain.tenants.update('zeta', (t) => ({ ...t, domains: ['moved.example.com'] }))).rejects.toThrow();
        await expectCode(domain.tenants.update('nobody', (t) => t), 'TENANT_NOT_FOUND');
        expect(await domain.tenants.get('zeta')).toMatchObject({ domains: ['zeta.example.com'] });
      });
    });

    describe('users', () => {
      it('creates users and finds them by id and by username in any case', async () => {
        await domain.users.create(user('alpha', 'id-john', 'john', 1000));
        expect((await domain.users.get('alpha', 'id-john'))?.username).toBe('john');
        expect((await domain.users.findByUsername('alpha', 'JOHN'))?.id).toBe('id-john');
        expect(await domain.users.findByUsername('alpha', 'nobody')).toBeNull();
        expect(await domain.users.findByUsername('zeta', 'john')).toBeNull();
      });

      it('refuses a username taken in the tenant, ignoring case, and leaves no trace of the refused user', async () => {
        await expectCode(domain.users.create(user('alpha', 'id-john2', 'John', 2000)), 'USERNAME_TAKEN');
        expect(await domain.users.get('alpha', 'id-john2')).toBeNull();
        expect((await domain.users.list('alpha')).map((u) => u.id)).toEqual(['id-john']);
      });

      it('accepts the same username in another tenant', async () => {
        await domain.users.create(user('zeta', 'id-zjohn', 'john', 1500));
        expect((await domain.users.findByUsername('zeta', 'john'))?.id).toBe('id-zjohn');
      });

      it('lists users oldest first', async () => {
        await domain.users.create(user('alpha', 'id-ann', 'ann', 500));
        await domain.users.create(user('alpha', 'id-zed', 'zed', 3000));
        expect((await domain.users.list('alpha')).map((u) => u.username)).toEqual(['ann', 'john', 'zed']);
      });

      it('keeps every one of many concurrent updates of one user', async () => {
        const tenants = Array.from({ length: 12 }, (_, i) => `t${i}`);
        await Promise.all(tenants.map((t) => domain.users.update('alpha', 'id-john', (u) => ({ ...u, scope: [...u.scope, t] }))));
        expect((await domain.users.get('alpha', 'id-john'))?.scope.sort()).toEqual([...tenants].sort());
      });

      it('refuses to update a user that does not exist', async () => {
        await expectCode(domain.users.update('alpha', 'id-nobody', (u) => u), 'USER_NOT_FOUND');
      });

      it('removes a user it created (an undone creation) and frees the username', async () => {
        const undone = user('alpha', 'id-undone', 'undone', 4000);
        await domain.users.create(undone);
        await domain.users.remove(undone);
        expect(await domain.users.get('alpha', 'id-undone')).toBeNull();
        expect(await domain.users.findByUsername('alpha', 'undone')).toBeNull();
        expect((await domain.users.list('alpha')).map((u) => u.username)).toEqual(['ann', 'john', 'zed']);
        await domain.users.create(user('alpha', 'id-undone2', 'undone', 5000));
        expect((await domain.users.findByUsername('alpha', 'undone'))?.id).toBe('id-undone2');
        await domain.users.remove(user('alpha', 'id-undone2', 'undone', 5000));
      });
    });

    describe('settings', () => {
      it('reads nothing before anything is set, then what concurrent writers set, all of it', async () => {
        expect(await domain.settings.read()).toEqual({});
        await Promise.all([
          domain.settings.update((s) => ({ ...s, 'support.mode': 'read-only' })),
          domain.settings.update((s) => ({ ...s, 'support.requestHours': 12 })),
          domain.settings.update((s) => ({ ...s, 'support.globalAccess': true })),
        ]);
        expect(await domain.settings.read()).toEqual({ 'support.mode': 'read-only', 'support.requestHours': 12, 'support.globalAccess': true });
      });
    });

    describe('clients', () => {
      it('creates, gets and lists the clients of a tenant', async () => {
        await domain.clients.create(client('alpha', 'web'));
        await domain.clients.create(client('alpha', 'api'));
        await domain.clients.create(client('zeta', 'web'));
        expect((await domain.clients.get('alpha', 'web'))?.redirectUris).toEqual(['https://app.example.com/cb']);
        expect(await domain.clients.get('alpha', 'nope')).toBeNull();
        expect((await domain.clients.list('alpha')).map((c) => c.clientId)).toEqual(['api', 'web']);
      });

      it('refuses a client id the tenant already has', async () => {
        await expectCode(domain.clients.create(client('alpha', 'web')), 'CLIENT_EXISTS');
      });

      it('removes a client it created (an undone creation)', async () => {
        await domain.clients.create(client('alpha', 'undone'));
        await domain.clients.remove('alpha', 'undone');
        expect(await domain.clients.get('alpha', 'undone')).toBeNull();
        expect((await domain.clients.list('alpha')).map((c) => c.clientId)).toEqual(['api', 'web']);
      });
    });

    describe('events', () => {
      it('delivers a published event to a listener on its own connection', async () => {
        const event: AccessEvent = { type: 'user.disabled', tenant: 'alpha', userId: 'id-john', username: 'john' };
        let deliver!: (e: AccessEvent) => void;
        const received = new Promise<AccessEvent>((resolve) => (deliver = resolve));
        const stop = await domain.events.subscribe((e) => deliver(e));
        try {
          await domain.events.publish(event);
          expect(await received).toEqual(event);
        } finally {
          await stop();
        }
      });
    });

    describeAuditStoreContract(() => world);
    describeSupportWindowStoreContract(() => world);
    describeSupportSessionStoreContract(() => world);
    describeOidcAdapterContract(() => world);
    describeLoginLimitsContract(() => world);

    it('writes every key under the configured prefix, with a tenant, an actor or the global hash tag', async () => {
      expect((await world.keys.allShaped()).length).toBeGreaterThan(10);
    });
  });
}

