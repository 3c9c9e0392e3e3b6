import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apiWorld, type ApiWorld } from '../api/world.js';

describe('the JSON API registers and changes back-channel logout URIs', () => {
  let w: ApiWorld;
  let admin: string;
  beforeAll(async () => {
    w = await apiWorld('bcl-api');
    admin = await w.userToken('acme', 'admin', 'clients:read clients:write');
  }, 30_000);
  afterAll(async () => w.stop());

  it('POST and PATCH take backchannelLogoutUri (null removes it); plain http on another host is refused with the reason', async () => {
    const created = await w.api(admin, 'POST', '/acme/clients', { clientId: 'shop', redirectUris: ['https://shop.example/cb'], backchannelLogoutUri: 'https://shop.example/bcl', backchannelLogoutSessionRequired: true });
    expect(created.status).toBe(201);
    expect(created.body.client).toMatchObject({ backchannelLogoutUri: 'https://shop.example/bcl', backchannelLogoutSessionRequired: true });

    const refused = await w.api(admin, 'PATCH', '/acme/clients/shop', { backchannelLogoutUri: 'http://shop.internal/bcl' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('back-channel logout URI must be https://');

    const moved = await w.api(admin, 'PATCH', '/acme/clients/shop', { backchannelLogoutUri: 'http://127.0.0.1:9/bcl' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ backchannelLogoutUri: 'http://127.0.0.1:9/bcl', backchannelLogoutSessionRequired: true });
    const [entry] = await w.entries({ tenant: 'acme', action: 'client.updated' });
    expect(entry!.details).toMatchObject({ backchannelLogoutUri: 'http://127.0.0.1:9/bcl' });

    const removed = await w.api(admin, 'PATCH', '/acme/clients/shop', { backchannelLogoutUri: null });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('backchannelLogoutUri');
  });
});
