import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../src/paths.js';
import { oidcWorld, type OidcWorld } from '../oidc/setup.js';
import { runProcess } from '../support/cli.js';
import { freePort } from '../support/ports.js';

/** Debian's Python: python3-authlib and python3-requests live there, not in a python3 earlier on PATH. */
const PYTHON = '/usr/bin/python3';
const RP_SCRIPT = join(packageRoot(), 'test', 'rp', 'authlib_rp.py');
const SCOPE = 'openid profile offline_access';

/** What test/rp/authlib_rp.py prints: each step's view, or the step that failed and why. */
interface AuthlibResult {
  ok: boolean;
  failed_step?: string;
  error?: string;
  authlib_version: string;
  token?: { token_type: string; scope: string; expires_in: number; has_refresh_token: boolean };
  id_token?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  refresh_request?: Record<string, string[]>;
  refresh?: { scope: string; expires_in: number; new_access_token: boolean; id_token?: Record<string, unknown> };
}

/**
 * A relying party written with Python's authlib (Debian's python3-authlib 1.2), the way its
 * documentation shows: OAuth2Session builds the authorization URL (PKCE, state, nonce), exchanges
 * the code, validates the ID token with authlib's JWT against the issuer's JWKS, reads userinfo,
 * and refreshes, repeating the scope it asked for at login as authlib does by default.
 */
describe('Python authlib as a relying party of a tenant issuer', () => {
  let world: OidcWorld;
  let client: { id: string; secret: string; redirectUri: string };

  beforeAll(async () => {
    for (const file of [PYTHON, '/usr/lib/python3/dist-packages/authlib', '/usr/lib/python3/dist-packages/requests']) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run scripts/install-system-deps.sh (python3-authlib, python3-requests)`);
    }
    world = await oidcWorld('rp-authlib');
    // Nothing listens at the redirect URI: the script stops the browser's part there.
    const redirectUri = `http://localhost:${await freePort()}/authlib/callback`;
    const { clientSecret } = await world.ops.createClient({ tenant: 'acme', clientId: 'authlib-app', redirectUris: [redirectUri], firstParty: true, authMethod: 'client_secret_basic' });
    client = { id: 'authlib-app', secret: clientSecret!, redirectUri };
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  /** Runs the authlib RP for one sign-in; its secret and password go on stdin, not the command line. */
  async function authlibSignIn(username: string, password: string): Promise<AuthlibResult> {
    const input = JSON.stringify({ issuer: world.issuer('acme'), client_id: client.id, client_secret: client.secret, redirect_uri: client.redirectUri, username, password, scope: SCOPE });
    // -I: only Debian's site packages (no user site, no PYTHONPATH); -B: no __pycache__ in the tree.
    const run = await runProcess(PYTHON, ['-I', '-B', RP_SCRIPT], { PATH: process.env.PATH, LANG: 'C.UTF-8' }, input);
    let result: AuthlibResult;
    try {
      result = JSON.parse(run.stdout) as AuthlibResult;
    } catch {
      throw new Error(`authlib_rp.py printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
    expect(result.authlib_version).toMatch(/^1\./);
    return result;
  }

  /** A readable failure: the step authlib stopped at and what the gateway answered. */
  const passed = (r: AuthlibResult) => (r.ok ? 'ok' : `failed at ${r.failed_step}: ${r.error}`);
  /** Up to the sign-in (the ID token validated, userinfo read), whatever a later step did. */
  const signedIn = (r: AuthlibResult) => (r.userinfo !== undefined ? 'signed in' : passed(r));

  describe('john', () => {
    let r: AuthlibResult;
    beforeAll(async () => {
      r = await authlibSignIn('john', 'john-secret-pw');
    }, 30_000);

    it('signs in: the ID token validates with authlib (signature by the JWKS, iss, aud, exp, nonce, at_hash) and userinfo names john', () => {
      expect(signedIn(r)).toBe('signed in');
      expect(r.id_token).toMatchObject({ iss: world.issuer('acme'), aud: 'authlib-app', preferred_username: 'john', tenant: 'acme' });
      expect(r.id_token).not.toHaveProperty('act');
      expect(r.userinfo).toMatchObject({ sub: r.id_token!.sub, preferred_username: 'john' });
      expect(r.token).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i), has_refresh_token: true });
    });

    it('refreshes with the scope he signed in with (openid profile offline_access) and gets new tokens', () => {
      expect(signedIn(r)).toBe('signed in');
      // authlib repeats the session's scope on refresh, as mod_auth_openidc does.
      expect(r.refresh_request).toMatchObject({ grant_type: ['refresh_token'], scope: [SCOPE] });
      expect(passed(r)).toBe('ok');
      expect(r.refresh).toMatchObject({ new_access_token: true });
      if (r.refresh?.id_token) expect(r.refresh.id_token).toMatchObject({ sub: r.id_token!.sub, preferred_username: 'john' });
    });
  });

  describe("jill as jill$john while acme's support window is open", () => {
    let r: AuthlibResult;
    beforeAll(async () => {
      await world.ops.openSupport({ tenant: 'acme', username: 'john', reason: 'authlib test' });
      r = await authlibSignIn('jill$john', 'jill-secret-pw');
    }, 30_000);
    afterAll(async () => {
      await world.ops.closeSupport({ tenant: 'acme', username: 'admin' });
    });

    it("signs in: the validated ID token is john's, with act naming jill; userinfo says the same", () => {
      expect(signedIn(r)).toBe('signed in');
      expect(r.id_token).toMatchObject({ iss: world.issuer('acme'), aud: 'authlib-app', preferred_username: 'john', act: { preferred_username: 'jill', tenant: 'management' } });
      expect(r.userinfo).toMatchObject({ preferred_username: 'john', act: { preferred_username: 'jill' } });
    });

    it('refreshes with the scope she signed in with, and the new tokens still carry act', () => {
      expect(signedIn(r)).toBe('signed in');
      expect(r.refresh_request).toMatchObject({ scope: [SCOPE] });
      expect(passed(r)).toBe('ok');
      expect(r.refresh).toMatchObject({ new_access_token: true });
      if (r.refresh?.id_token) expect(r.refresh.id_token).toMatchObject({ preferred_username: 'john', act: { preferred_username: 'jill' } });
    });
  });
});
