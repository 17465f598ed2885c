import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import type { z } from 'zod';
import type { RouteContract, Scope } from '../contract/routes.js';
import { invalidInput } from './answers.js';

/**
 * Registers a route of the contract (src/contract/routes.ts): its scope's guards first, then
 * its path parameters, query and body parsed by the contract's schemas (a 400 in the usual
 * error body names the first field at fault), then the handler, typed by the schemas: it
 * gets the parsed values and must return the contract's answer (or a reply it has sent).
 * Answers are sent as the handler returns them, serialized as before, never re-encoded.
 */

/** An answer as a handler may build it: the contract's type, read-only all the way down. */
export type Answer<R extends RouteContract> = DeepReadonly<z.output<R['response']>>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<R extends RouteContract> {
  readonly params: Parsed<R['params']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteOptions<R extends RouteContract> {
  readonly config?: FastifyContextConfig;
  /** The error code of a 400 for the query or body (default invalid_query). */
  readonly invalid?: string;
  /** The body is the handler's to read (the ingestion routes name the message at fault their own way). */
  readonly rawBody?: boolean;
  /** An answer due before the query is read (a 404 for an unknown segment comes before a 400 for its query). */
  readonly before?: (params: Parsed<R['params']>, reply: FastifyReply) => FastifyReply | undefined;
  readonly handler: (input: RouteInput<R>) => Promise<Answer<R> | FastifyReply>;
}

export type Guards = Readonly<Record<Scope, readonly preHandlerAsyncHookHandler[]>>;

/** The registrar of one server: `serve(ROUTES.x, { handler })`. */
export function contractRoutes(app: FastifyInstance, guards: Guards) {
  return <R extends RouteContract>(contract: R, options: RouteOptions<R>): void => {
    app.route({
      method: contract.method,
      url: contract.path,
      preHandler: [...guards[contract.scope]],
      ...(options.config ? { config: options.config } : {}),
      handler: async (request, reply) => {
        let params: unknown;
        if (contract.params) {
          // A path parameter the schema refuses is the request's fault (400), never a thrown 500.
          const parsed = contract.params.safeParse(request.params);
          if (!parsed.success) return invalidInput(reply, request, parsed.error, 'invalid_parameter');
          params = parsed.data;
        }
        const early = options.before?.(params as Parsed<R['params']>, reply);
        if (early) return early;
        const invalid = options.invalid ?? 'invalid_query';
        let query: unknown;
        if (contract.query) {
          const parsed = contract.query.safeParse(request.query);
          if (!parsed.success) return invalidInput(reply, request, parsed.error, invalid);
          query = parsed.data;
        }
        let body: unknown;
        if (contract.body && !options.rawBody) {
          const parsed = contract.body.safeParse(request.body ?? {});
          if (!parsed.success) return invalidInput(reply, request, parsed.error, invalid);
          body = parsed.data;
        }
        return options.handler({
          params: params as Parsed<R['params']>,
          query: query as Parsed<R['query']>,
          body: body as Parsed<R['body']>,
          request,
          reply,
        });
      },
    });
  };
}

export type Serve = ReturnType<typeof contractRoutes>;
