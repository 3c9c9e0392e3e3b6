import type { z } from 'zod';
import { AppError } from './errors.js';

/** Parses outside input with a zod schema, turning every problem into one readable issue line. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  throw new AppError('INPUT_ISSUES', undefined, { issues, params: { what, issues: issues.join('; ') } });
}
