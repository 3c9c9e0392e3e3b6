import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request } from 'express';
import { z } from 'zod';
import type { AuditContext } from '../audit/audited.js';
import { AppError } from '../errors.js';

/** The interaction forms' body parser: urlencoded only, small. */
export const formBody = express.urlencoded({ extended: false, limit: '10kb' });

/** A form token bound to one interaction: an HMAC only this deployment can make. */
/** The form's CSRF value: an HMAC of the interaction under the newest cookie secret. */
export function csrfToken(secrets: string | readonly string[], tenant: string, uid: string): string {
  const secret = typeof secrets === 'string' ? secrets : secrets[0]!;
  return createHmac('sha256', secret).update(`csrf:${tenant}:${uid}`).digest('base64url');
}

/** Whether `given` is the form's CSRF value under any cookie secret (a form shown before a rotation still posts). */
export function csrfValid(secrets: string | readonly string[], tenant: string, uid: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const actual = Buffer.from(given);
  return (typeof secrets === 'string' ? [secrets] : secrets).some((secret) => {
    const expected = Buffer.from(csrfToken(secret, tenant, uid));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
}

/** The posted form's fields; throws FORM_EXPECTED (not a form) or FORM_INVALID (a field missing, repeated or too long). */
export function formFields<T extends z.ZodType>(req: Request, schema: T, form: string): z.infer<T> {
  if (!req.is('application/x-www-form-urlencoded')) throw new AppError('FORM_EXPECTED', undefined, { params: { form } });
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) throw new AppError('FORM_INVALID', undefined, { params: { form } });
  return parsed.data;
}

export const loginFormSchema = z.object({
  csrf: z.string().max(200),
  tenant: z.string().max(200).default(''),
  username: z.string().max(300),
  password: z.string().max(1024),
});

export type LoginForm = z.infer<typeof loginFormSchema>;

export const consentFormSchema = z.object({
  csrf: z.string().max(200),
  decision: z.string().max(20).default(''),
});

/** The audit context of a sign-in step taken in a browser. */
export function browserAuditContext(who: string, req: { ip?: string | undefined; get(h: string): string | undefined }, clientId: string | null, requestId: string | null): AuditContext {
  return { who: who.slice(0, 300), actor: null, channel: 'login', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, clientId, requestId };
}
