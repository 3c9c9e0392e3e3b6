import { describe, expect, it } from '@jest/globals';
import { issuedBeforeSuspension } from '../../src/oidc/adapter.js';

// Tokens carry whole-second `iat`s; a suspension and a resume can fall in the same second as one.
describe("a record of the suspension's own second", () => {
  const S = 1_800_000_000;
  const at = (seconds: number, ms: number) => new Date(seconds * 1000 + ms).toISOString();

  it('is dead even when the tenant was resumed within that same second (it may predate the suspension)', () => {
    expect(issuedBeforeSuspension(S, { status: 'active', suspendedAt: at(S, 100), resumedAt: at(S, 600) })).toBe(true);
  });

  it('is dead when the resume came later, and while the tenant is suspended', () => {
    expect(issuedBeforeSuspension(S, { status: 'active', suspendedAt: at(S, 100), resumedAt: at(S + 3, 0) })).toBe(true);
    expect(issuedBeforeSuspension(S, { status: 'suspended', suspendedAt: at(S, 100) })).toBe(true);
  });

  it('leaves records of earlier and later seconds as the suspension decides: before dead, after alive', () => {
    expect(issuedBeforeSuspension(S - 1, { status: 'active', suspendedAt: at(S, 100), resumedAt: at(S, 600) })).toBe(true);
    expect(issuedBeforeSuspension(S + 1, { status: 'active', suspendedAt: at(S, 100), resumedAt: at(S, 600) })).toBe(false);
    expect(issuedBeforeSuspension(S, { status: 'active' })).toBe(false);
  });
});
