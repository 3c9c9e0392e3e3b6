import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import type { Domain } from '../../src/domain.js';
import { AppError } from '../../src/errors.js';
import { DEFAULT_SETTINGS, getSettings, setSetting } from '../../src/settings/settings.js';
import { openDomain, testConfig } from '../support/env.js';

describe('support settings', () => {
  let domain: Domain;
  let close: () => Promise<void>;
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));

  beforeAll(async () => {
    ({ domain, close } = await openDomain(testConfig('settings')));
  });
  afterAll(async () => close());

  const refusal = async (key: string, value: string) => {
    try {
      await setSetting(domain.settings, clock, key, value);
    } catch (err) {
      return err as AppError;
    }
    throw new Error('expected a refusal');
  };

  it('starts with the defaults of SPEC §2', async () => {
    expect(await getSettings(domain.settings)).toEqual(DEFAULT_SETTINGS);
  });

  it('takes true, false or a future ISO date-time (stored in UTC) for global access', async () => {
    expect((await setSetting(domain.settings, clock, 'support.globalAccess', 'true')).after).toBe(true);
    const until = await setSetting(domain.settings, clock, 'support.globalAccess', '2026-11-23T18:00:00+01:00');
    expect(until).toEqual({ key: 'support.globalAccess', before: true, after: '2026-11-23T17:00:00.000Z' });
    expect((await refusal('support.globalAccess', '2026-11-21T00:00:00Z')).message).toContain('in the past');
    expect((await refusal('support.globalAccess', 'yes')).message).toContain('true, false or an ISO date-time');
  });

  it('keeps requestHours within maxRequestHours, in either order of change', async () => {
    await setSetting(domain.settings, clock, 'support.requestHours', '48');
    expect((await refusal('support.maxRequestHours', '24')).message).toBe('support.requestHours (48) must not exceed support.maxRequestHours (24)');
    expect((await refusal('support.requestHours', '169')).code).toBe('SETTING_INVALID');
    expect((await refusal('support.requestHours', '1.5')).message).toContain('whole number of hours');
    expect((await getSettings(domain.settings))['support.requestHours']).toBe(48);
  });

  it('knows the modes and refuses unknown keys by listing the known ones', async () => {
    expect((await setSetting(domain.settings, clock, 'support.mode', 'read-only')).after).toBe('read-only');
    expect((await refusal('support.mode', 'admin')).message).toContain('full or read-only');
    const unknown = await refusal('support.colour', 'red');
    expect(unknown.code).toBe('SETTING_UNKNOWN');
    expect(unknown.message).toContain('support.globalAccess');
  });
});
