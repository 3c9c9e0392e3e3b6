import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_KEEP_SECONDS, DEFAULT_PUBLISH_AHEAD_SECONDS, LONGEST_SIGNED_TOKEN_SECONDS, type IssuerKeys } from '../../secrets/signing-keys.js';
import { table, type CliContext } from '../context.js';

const seconds = (min: number) => (value: string) => {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number of seconds, at least ${min}`);
  return Number(value);
};

const when = (ms: number | null) => (ms === null ? '-' : ms === 0 ? 'always' : new Date(ms).toISOString());

function stagesTable(stages: IssuerKeys['stages']): string {
  if (stages.length === 0) return 'no keys yet (a tenant with keys of its own gets them on its first sign-in)';
  return table(
    ['KID', 'ALG', 'STAGE', 'SIGNS_FROM', 'SIGNS_UNTIL', 'PUBLISHED_UNTIL', 'SOURCE'],
    stages.map((s) => [s.kid, s.alg, s.stage, when(s.signsFrom), when(s.signsUntil), when(s.publishedUntil), s.fromFile ? 'SIGNING_KEYS_FILE' : 'redis']),
  );
}

export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description("rotate and list the issuers' signing keys (README: Key rotation)");

  keys
    .command('rotate')
    .description(
      "rotate signing keys without logging anybody out: a new key per algorithm is published now and signs after --publish-ahead; the keys it replaces stay published --keep longer, so every token they signed still verifies",
    )
    .option('--tenant <id>', "the tenant's own keys (a tenant on the platform keys rotates with the platform); default: the platform's keys")
    .option('--publish-ahead <seconds>', "how long the new key is in the JWKS before it signs: at least your relying parties' JWKS cache time", seconds(1), DEFAULT_PUBLISH_AHEAD_SECONDS)
    .option(
      '--keep <seconds>',
      `how long a replaced key stays published after it stopped signing: by default a login session's lifetime, so logouts with older ID tokens as hints verify; after a leak use the minimum, ${LONGEST_SIGNED_TOKEN_SECONDS} (the longest token lifetime)`,
      seconds(LONGEST_SIGNED_TOKEN_SECONDS),
      DEFAULT_KEEP_SECONDS,
    )
    .action(async (opts: { tenant?: string; publishAhead: number; keep: number }) => {
      const rotation = await (await ctx.operations()).rotateSigningKeys(await ctx.signingKeys(), { tenant: opts.tenant ?? null, publishAheadMs: opts.publishAhead * 1000, keepMs: opts.keep * 1000 });
      const scope = rotation.scope.kind === 'platform' ? 'the platform keys' : `tenant ${rotation.scope.tenant}'s own keys`;
      const signsFrom = when(rotation.added[0]!.signsFrom);
      ctx.print(
        rotation,
        [
          `rotated ${scope}: ${rotation.added.map((k) => `${k.alg} ${k.kid}`).join(', ')} published now, signing from ${signsFrom}`,
          ...rotation.retired.map((k) => `  ${k.alg} ${k.kid} signs until ${when(k.signsUntil)}, published until ${when(k.publishedUntil)}`),
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description("the signing keys and their stages: next (published, not signing yet), signing, retiring (published, no longer signing)")
    .option('--tenant <id>', "the keys the tenant's issuer uses (its own, or the platform's)")
    .action(async (opts: { tenant?: string }) => {
      const listed = await (await ctx.operations()).listSigningKeys(await ctx.signingKeys(), opts.tenant ?? null);
      ctx.print(listed, () => stagesTable(listed.keys));
    });

  keys
    .command('new-secret')
    .description('print a fresh random secret (32 bytes, base64url): put it first in COOKIE_SECRETS or CLIENT_SECRETS_KEY on every gateway (README: Key rotation)')
    .action(() => {
      const secret = randomBytes(32).toString('base64url');
      ctx.print({ secret }, secret);
    });

  keys
    .command('reseal')
    .description("after a new CLIENT_SECRETS_KEY is first on every gateway: seal every stored secret (client secrets, signing keys) with it, so the older keys can be dropped; safe to repeat")
    .action(async () => {
      const resealed = await (await ctx.operations()).resealSecrets(await ctx.signingKeys());
      ctx.print(
        { clientSecrets: resealed.clientSecrets, signingKeys: resealed.signingKeys },
        `sealed anew with the newest CLIENT_SECRETS_KEY: ${resealed.clientSecrets} client secret(s), ${resealed.signingKeys} signing key(s); nothing stored needs the older keys any more`,
      );
    });
}
