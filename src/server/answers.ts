import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { textProblem } from '../ingest/storable-text.js';
import type { Table } from '../model/tables.js';

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

/**
 * A preHandler (after the key's): 400 naming the path parameter or query value that holds
 * text no stored value can equal (a NUL, a lone surrogate), instead of sending it to the
 * database, which fails on a NUL (a 500, or a 404 quoting the database's message).
 */
export async function refuseUnstorableText(request: FastifyRequest, reply: FastifyReply) {
  for (const values of [request.params, request.query]) {
    if (values === null || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values)) {
      for (const text of Array.isArray(value) ? value : [value]) {
        const problem = typeof text === 'string' ? textProblem(text) : null;
        if (problem) return badRequest(reply, request, name, problem, 'invalid_parameter');
      }
    }
  }
}

/** An account or user row with its traits as an object (engines give JSON as text or parsed). */
export function withParsedTraits<Row extends Record<string, unknown>>(
  row: Row,
): Row & { traits: Record<string, unknown> } {
  const traits = typeof row.traits === 'string' ? JSON.parse(row.traits) : (row.traits ?? {});
  return { ...row, traits };
}

/**
 * A timestamp as the API gives it: ISO text to the millisecond, as DuckDB's client reads
 * one (a Date, its microseconds divided by 1000 toward zero). ClickHouse stores timestamps
 * as Int64 microseconds since 1970 and its client gives them as that number's text.
 */
function isoTime(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  const micros = typeof value === 'number' ? String(value) : value;
  if (typeof micros !== 'string' || !/^-?\d+$/.test(micros)) return value;
  return new Date(Number(BigInt(micros) / 1000n)).toISOString();
}

/** A row of `table` as the API answers it on either engine: timestamps as ISO text, traits as an object. */
export function answerRow<Row extends Record<string, unknown>>(
  table: Table,
  row: Row,
): Row & { traits: Record<string, unknown> } {
  const answered: Record<string, unknown> = { ...row };
  for (const column of table.columns)
    if (column.type === 'timestamp' && answered[column.name] != null)
      answered[column.name] = isoTime(answered[column.name]);
  return withParsedTraits(answered as Row);
}
