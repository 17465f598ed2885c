import { z } from 'zod';
import { ErrorAnswer } from './common.js';
import { ROUTES, type RouteContract } from './routes.js';
import { ExplainedNode } from './timeline-answers.js';

/**
 * The OpenAPI 3.1 document served at /openapi.json, generated from the contract (routes.ts)
 * with zod's JSON Schema emission: each route's parameters, body and 200 answer, and the
 * error body for its other statuses. Requests are described as sent (`io: 'input'`),
 * answers as received.
 */

const ERRORS: Readonly<Record<number, string>> = {
  400: 'A message or query is invalid: `field` names it, nothing was stored',
  401: 'No key, or an unknown or revoked one',
  403: "The key's scope does not allow this",
  404: 'No such segment, account, model or schedule, or no run yet',
  409: 'A dimension without data (RFM): `missing` names it',
  413: 'Body larger than the limit (4 MiB by default)',
  415: 'A content encoding the server does not read',
  422: 'strata.yaml on disk does not load',
  429: 'Too many requests a minute',
};

/** A schema's name in components: the route's own answer, or a shared piece. */
const componentName = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

/** JSON Schema of one value, without the draft marker (the document says 3.1). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** Path and query parameters of a route, one per key of its schemas. */
function parameters(contract: RouteContract) {
  const of = (where: 'path' | 'query', schema: z.ZodObject | undefined) =>
    Object.entries(schema?.shape ?? {}).map(([name, value]) => {
      const { description, ...rest } = jsonSchema(value as z.ZodType, 'input');
      const required = where === 'path' || !(value as z.ZodType).safeParse(undefined).success;
      return { name, in: where, required, schema: rest, ...(description ? { description } : {}) };
    });
  return [...of('path', contract.params), ...of('query', contract.query)];
}

function operation(name: string, contract: RouteContract, answer: string) {
  const errors = Object.fromEntries(
    contract.errors.map((status) => [
      String(status),
      {
        description: ERRORS[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
  const params = parameters(contract);
  return {
    summary: contract.summary,
    operationId: name,
    ...(contract.scope === 'public'
      ? {}
      : {
          security:
            contract.scope === 'write' ? [{ basic: [] }, { bearer: [] }] : [{ bearer: [] }, { basic: [] }],
        }),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: contract.scope === 'write',
            content: { 'application/json': { schema: jsonSchema(contract.body, 'input') } },
          },
        }
      : {}),
    responses: {
      '200': {
        description: 'OK',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${answer}` } } },
      },
      ...errors,
    },
  };
}

/** The answers as components (one per answer, named after its first route; shared pieces by reference). */
function components(answers: ReadonlyMap<z.ZodType, string>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(ErrorAnswer, { id: 'Error' });
  registry.add(ExplainedNode, { id: 'ExplainedNode' });
  for (const [schema, id] of answers) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _draft, $id: _id, ...schema }]) => [id, schema]),
  );
}

/** The document for this version of Strata. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const answers = new Map<z.ZodType, string>();
  for (const [name, contract] of Object.entries(ROUTES) as [string, RouteContract][]) {
    if (!answers.has(contract.response))
      answers.set(contract.response, contract.answer ?? componentName(name));
    const path = contract.path.replace(/:(\w+)/g, '{$1}');
    const answer = answers.get(contract.response) ?? componentName(name);
    paths[path] = { ...paths[path], [contract.method.toLowerCase()]: operation(name, contract, answer) };
  }
  return {
    openapi: '3.1.0' as const,
    info: {
      title: 'Strata API',
      version,
      description:
        'Segment-spec ingestion (write keys) and reads of segments, members and account profiles (read keys). Keys: `strata keys create --scope write|read|admin`.',
    },
    paths,
    components: {
      securitySchemes: {
        basic: {
          type: 'http',
          scheme: 'basic',
          description: 'The key as user name, no password (Segment libraries)',
        },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: components(answers),
    },
  };
}
