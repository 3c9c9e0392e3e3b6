import type { Response } from 'express';
import { z } from 'zod';
import type { Admin } from '../../admin/index.js';
import type { AdminAction } from '../../admin/policy.js';
import type { Caller } from './bearer.js';

/** What a route's `run` gets: who calls, their admin actions, and the validated request. */
export interface ApiCall<P, Q, B> {
  caller: Caller;
  /** `adminFor(domain, caller.audit, caller.principal)`: every action authorized, audited, published. */
  admin: Admin;
  params: P;
  query: Q;
  body: B;
  /** For answers that are not one JSON document (an export streams its entries itself). */
  res: Response;
}

/** The empty query and body of routes that take none: an unknown parameter or field is refused. */
export const NO_INPUT = z.strictObject({});

/**
 * One operation of the JSON API: the route table entry that registers the express route AND
 * documents it (openapi.ts), from the same zod schemas, so the two cannot drift apart.
 */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  /** The OpenAPI operationId (what generated clients call it). */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch';
  /** Below /api/v1, in OpenAPI form: `/{tenant}/users/{username}`. `{tenant}` is the caller's issuer. */
  path: string;
  /** The resource it belongs to (the OpenAPI tag). */
  tag: string;
  summary: string;
  description?: string;
  /**
   * The admin action the operation asks the policy for: the token needs its scope (scopeFor).
   * Null for an operation that is no admin action (GET /me).
   */
  permission: AdminAction | null;
  params: P;
  query: Q;
  body: B;
  answer: {
    status: 200 | 201 | 204;
    description: string;
    /** The JSON answer; `run` must return what it describes. */
    schema?: R;
    /** An answer in other media types (a download), written by `run` itself. */
    media?: Record<string, z.ZodType>;
  };
  run(call: ApiCall<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>>;
}

export type ApiRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

/** A route table entry, its input and answer types checked against its schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType = typeof NO_INPUT, B extends z.ZodType = typeof NO_INPUT, R extends z.ZodType = z.ZodVoid>(
  spec: Omit<RouteSpec<P, Q, B, R>, 'query' | 'body'> & { query?: Q; body?: B },
): ApiRoute {
  return { ...spec, query: spec.query ?? NO_INPUT, body: spec.body ?? NO_INPUT } as unknown as ApiRoute;
}

/** `/{tenant}/users/{username}` as express writes it: `/:tenant/users/:username`. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
