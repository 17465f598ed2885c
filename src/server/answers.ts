import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** 400: the request names what is wrong (`field`), and nothing was done. */
export function badRequest(
  reply: FastifyReply,
  request: FastifyRequest,
  field: string,
  message: string,
  code = 'invalid_query',
) {
  return reply.code(400).send({ error: code, message: `${request.url}: ${field}: ${message}`, field });
}

/** 400 for the first issue zod found in a query or body. */
export function invalidInput(
  reply: FastifyReply,
  request: FastifyRequest,
  error: z.ZodError,
  code = 'invalid_query',
) {
  const issue = error.issues[0];
  return badRequest(reply, request, issue?.path.join('.') ?? '', issue?.message ?? 'invalid', code);
}

/** An account or user row with its traits as an object (engines give JSON as text or parsed). */
export function withParsedTraits<Row extends Record<string, unknown>>(
  row: Row,
): Row & { traits: Record<string, unknown> } {
  const traits = typeof row.traits === 'string' ? JSON.parse(row.traits) : (row.traits ?? {});
  return { ...row, traits };
}

/** Paging of a list: `limit` rows from `offset`, a sort column and a search text. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  sort: z.string().min(1).optional(),
  search: z.string().min(1).max(200).optional(),
});
