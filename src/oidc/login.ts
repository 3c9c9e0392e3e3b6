import { z } from 'zod';
import type { AuditContext } from '../audit/audited.js';

const loginFormSchema = z.object({
  csrf: z.string().max(200),
  tenant: z.string().max(200).default(''),
  username: z.string().max(300),
  password: z.string().max(1024),
});

export type LoginForm = z.infer<typeof loginFormSchema>;

/** The posted login form's fields, or null when one is missing, repeated or too long. */
export function parseLoginForm(body: unknown): LoginForm | null {
  const parsed = loginFormSchema.safeParse(body ?? {});
  return parsed.success ? parsed.data : null;
}

/** The audit context of a login attempt from a browser. */
export function loginAuditContext(who: string, req: { ip?: string | undefined; get(h: string): string | undefined }, clientId: string | null, requestId: string | null): AuditContext {
  return { who: who.slice(0, 300), actor: null, channel: 'login', clientAddress: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null, clientId, requestId };
}
