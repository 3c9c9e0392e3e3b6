import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consoleWorld, type ConsoleWorld } from './world.js';

/**
 * A console session ends with what ends the person's sign-in: a tenant suspension (also after the
 * tenant is resumed) and a password someone else set. The next click asks for the password again
 * (never a silent sign-in through a still-open issuer session). Changing one's own password in the
 * console keeps that console signed in.
 */
describe('a console session ends with the sign-in it came from', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await consoleWorld('console-session-end');
    await world.ops.createUser({ tenant: 'beta', username: 'gus', password: 'gus-secret-pw' });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('a suspension ends it, and it stays ended after the tenant is resumed', async () => {
    const gus = await world.signIn('beta', 'gus', 'gus-secret-pw');
    await world.ops.suspendTenant('beta');
    await world.ops.resumeTenant('beta');
    await gus.goto(`${world.url}/t/beta/console`);
    await gus.waitForURL(/\/t\/beta\/interaction\//);
    expect(await gus.getByLabel('Password').isVisible()).toBe(true);
  }, 60_000);

  it('a password set by the admin ends it: the next click asks for the password, not a silent sign-in', async () => {
    const john = await world.signIn('acme', 'john', 'john-secret-pw');
    await world.ops.setUser({ tenant: 'acme', username: 'john', password: 'john-new-secret-pw' });
    await john.goto(`${world.url}/t/acme/console`);
    await john.waitForURL(/\/t\/acme\/interaction\//);
    await john.getByLabel('Username').fill('john');
    await john.getByLabel('Password').fill('john-new-secret-pw');
    await john.getByRole('button', { name: 'Sign in' }).click();
    await john.waitForURL(`${world.url}/t/acme/console`);
    expect(await john.locator('h1').textContent()).toBe('Support access');
  }, 60_000);

  it('changing one’s own password in the console keeps that console signed in', async () => {
    const admin = await world.signIn('acme', 'admin', 'admin-secret-pw');
    await admin.goto(`${world.url}/t/acme/console/password`);
    await admin.getByLabel('New password', { exact: true }).fill('admin-newer-secret-pw');
    await admin.getByLabel(/repeat/i).fill('admin-newer-secret-pw');
    await admin.getByRole('button', { name: /change password/i }).click();
    await admin.waitForURL(`${world.url}/t/acme/console`);
    await admin.goto(`${world.url}/t/acme/console/users`);
    expect(admin.url()).toBe(`${world.url}/t/acme/console/users`);
    expect(await admin.locator('h1').textContent()).toBe('Users');
  }, 60_000);
});
