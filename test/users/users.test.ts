import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import { createTenant, ensureManagementTenant } from '../../src/tenants/tenants.js';
import { phcParams, type PasswordHasher } from '../../src/users/passwords.js';
import { authenticate, createUser, setUser, toPublicUser } from '../../src/users/users.js';
import { openDomain, testConfig } from '../support/env.js';

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('users', () => {
  const config = testConfig('users');
  let domain: Domain;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ domain, close } = await openDomain(config));
    await ensureManagementTenant(domain.tenants, domain.clock);
    await createTenant(domain.tenants, domain.clock, { id: 'acme' });
    await createTenant(domain.tenants, domain.clock, { id: 'beta' });
  });
  afterAll(async () => close());

  it('stores the password as an argon2id PHC string with the configured parameters, never the password', async () => {
    const john = await createUser(domain, { tenant: 'acme', username: 'john', password: 'john-secret-pw' });
    expect(phcParams(john.passwordHash)).toEqual({
      algorithm: 'argon2id',
      memoryKiB: config.passwords.memoryKiB,
      timeCost: config.passwords.timeCost,
      parallelism: config.passwords.parallelism,
    });
    expect(JSON.stringify(await domain.users.get('acme', john.id))).not.toContain('john-secret-pw');
    expect(toPublicUser(john)).not.toHaveProperty('passwordHash');
    expect(john.roles).toEqual(['user']);
  });

  it('refuses "John" after "john" in one tenant, and accepts "john" in another tenant', async () => {
    expect((await refusal(createUser(domain, { tenant: 'acme', username: 'John', password: 'another-pw-1' }))).code).toBe('USERNAME_TAKEN');
    const other = await createUser(domain, { tenant: 'beta', username: 'john', password: 'another-pw-1' });
    expect(other.tenant).toBe('beta');
  });

  it.each([
    ['jill$john', 'must not contain "$"'],
    ['$', 'must not contain "$"'],
    ['acme/john', 'must not contain "/"'],
    ['', 'must not be empty'],
    ['john doe', 'letters, digits'],
  ])('refuses the username %j', async (username, message) => {
    const err = await refusal(createUser(domain, { tenant: 'acme', username, password: 'long-enough-pw' }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain(message);
  });

  it('refuses a short password, an unknown tenant and an unknown role with clear messages', async () => {
    expect((await refusal(createUser(domain, { tenant: 'acme', username: 'amy', password: 'short' }))).message).toContain('at least 8 characters');
    expect((await refusal(createUser(domain, { tenant: 'nope', username: 'amy', password: 'long-enough-pw' }))).message).toBe('tenant "nope" not found');
    expect((await refusal(createUser(domain, { tenant: 'acme', username: 'amy', password: 'long-enough-pw', roles: ['root'] }))).message).toContain('role must be one of');
  });

  it('keeps platform-admin and support to the management tenant', async () => {
    const err = await refusal(createUser(domain, { tenant: 'acme', username: 'sam', password: 'long-enough-pw', roles: ['support'] }));
    expect(err.code).toBe('ROLE_NOT_ALLOWED');
  });

  it('gives support users a scope of existing tenants or *, never management', async () => {
    const jill = await createUser(domain, { tenant: 'management', username: 'jill', password: 'jill-secret-pw', roles: ['support'], scope: ['acme'] });
    expect(jill.scope).toEqual(['acme']);
    expect((await refusal(createUser(domain, { tenant: 'management', username: 'x1', password: 'long-enough-pw', roles: ['support'], scope: ['management'] }))).message).toContain('never a support target');
    expect((await refusal(createUser(domain, { tenant: 'management', username: 'x2', password: 'long-enough-pw', roles: ['support'], scope: ['acmee'] }))).message).toBe('tenant "acmee" not found');
    expect((await refusal(createUser(domain, { tenant: 'management', username: 'x3', password: 'long-enough-pw', roles: ['auditor'], scope: ['acme'] }))).message).toContain('support users only');
    const all = await createUser(domain, { tenant: 'management', username: 'sue', password: 'long-enough-pw', roles: ['support'], scope: ['*'] });
    expect(all.scope).toEqual(['*']);
  });

  it('changes enabled flag, roles and scope, keeping what is not given', async () => {
    const { before, after } = await setUser(domain, { tenant: 'management', username: 'JILL', enabled: false, scope: ['acme', 'beta'] });
    expect(before.enabled).toBe(true);
    expect(after).toMatchObject({ enabled: false, roles: ['support'], scope: ['acme', 'beta'] });
    const dropped = await setUser(domain, { tenant: 'management', username: 'jill', roles: ['auditor'] });
    expect(dropped.after).toMatchObject({ roles: ['auditor'], scope: [], enabled: false });
    expect((await refusal(setUser(domain, { tenant: 'acme', username: 'ghost', enabled: true }))).code).toBe('USER_NOT_FOUND');
  });

  describe('authenticate', () => {
    // Counts verifies around the real hasher: every path must run exactly one.
    function countingHasher(inner: PasswordHasher) {
      const calls: string[] = [];
      const hasher: PasswordHasher = {
        hash: (pw) => inner.hash(pw),
        verify: (phc, pw) => {
          calls.push('verify');
          return inner.verify(phc, pw);
        },
        verifyNobody: (pw) => {
          calls.push('verifyNobody');
          return inner.verifyNobody(pw);
        },
      };
      return { hasher, calls };
    }

    it('accepts the right password and refuses a wrong one', async () => {
      expect(await authenticate(domain, 'acme', 'JOHN', 'john-secret-pw')).toMatchObject({ ok: true, user: { username: 'john' } });
      expect(await authenticate(domain, 'acme', 'john', 'wrong-pw-123')).toMatchObject({ ok: false, reason: 'wrong-password' });
    });

    it('runs exactly one argon2 verify for an unknown user, a malformed name and a wrong password alike', async () => {
      for (const [tenant, username, password] of [
        ['acme', 'nobody', 'whatever-pw'],
        ['acme', 'a$b', 'whatever-pw'],
        ['no-such-tenant', 'john', 'whatever-pw'],
        ['acme', 'john', 'wrong-pw-123'],
      ] as const) {
        const { hasher, calls } = countingHasher(domain.hasher);
        const result = await authenticate({ users: domain.users, hasher }, tenant, username, password);
        expect(result.ok).toBe(false);
        expect(calls).toHaveLength(1);
      }
    });

    it('refuses a disabled user after checking the password', async () => {
      await createUser(domain, { tenant: 'acme', username: 'dora', password: 'dora-secret-pw' });
      await setUser(domain, { tenant: 'acme', username: 'dora', enabled: false });
      expect(await authenticate(domain, 'acme', 'dora', 'dora-secret-pw')).toMatchObject({ ok: false, reason: 'disabled' });
    });
  });
});
