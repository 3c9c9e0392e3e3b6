import { z } from 'zod';
import { AppError, isAppError } from '../../errors.js';

/** Every console form carries the session's CSRF token (checked by `requireCsrf`). */
export const csrfField = z.string().max(200);

/** A field a form sends zero, one or many times (checkboxes of one name): always a list. */
export const manyOf = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item).max(50));

/** A checkbox: present (any value) when ticked, absent otherwise. */
export const checkbox = z.preprocess((v) => v !== undefined && v !== '', z.boolean());

/** A text area of one value a line (redirect URIs): the trimmed, non-empty lines. */
export const lines = z
  .string()
  .max(10_000)
  .default('')
  .transform((s) =>
    s
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  );

/** A list typed in one field, separated by spaces, commas or new lines (scopes, domains). */
export const words = z
  .string()
  .max(5_000)
  .default('')
  .transform((s) => s.split(/[\s,]+/).filter((w) => w !== ''));

/** A new password typed twice: the two must match (the domain checks its length). */
export const newPassword = { password: z.string().max(1024), repeat: z.string().max(1024) };

export function samePassword(form: { password: string; repeat: string }): string {
  if (form.password !== form.repeat) throw new AppError('PASSWORDS_DIFFER');
  return form.password;
}

/**
 * What went wrong with a form the person can fix (a bad value, a name already taken, a tenant
 * that does not exist): its words, to show above the form again with what was typed. Anything
 * else (a refusal, an outage, a bug) goes on to the console's error page.
 */
export function formMistake(err: unknown): string {
  if (isAppError(err) && (err.status === 400 || err.status === 404 || err.status === 409)) return err.message;
  throw err;
}
