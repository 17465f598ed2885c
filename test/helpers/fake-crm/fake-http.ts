import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The part the HubSpot and Salesforce fakes share: a real node:http server on 127.0.0.1 and a
 * free port that records every request, checks the bearer token, plays scripted faults in
 * order, and hands the rest to the vendor's routes. It survives clients that abort mid-request
 * (the kill -9 tests): every write checks the socket is still there.
 */

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path with its query string, as sent (still percent-encoded). */
  readonly path: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
}

/** Which requests a fault applies to, and for how many of them. */
interface FaultScope {
  /** A substring of `METHOD /path?query`, or a pattern over it; every request when absent. */
  readonly match?: string | RegExp;
  /** How many matching requests it takes before it is used up: 1 when absent. */
  times?: number;
  /** How many matching requests pass untouched before it applies: 0 when absent. */
  skip?: number;
}

/** Answer with `status` and the vendor's documented error body for it. */
export interface StatusFault extends FaultScope {
  readonly kind: 'status';
  readonly status: number;
  /** Seconds, sent as a Retry-After header when given. */
  readonly retryAfter?: number;
  /** HubSpot 429 only: which limit was hit (SECONDLY when absent). */
  readonly policyName?: 'SECONDLY' | 'TEN_SECONDLY_ROLLING' | 'DAILY';
  /** Salesforce only: the errorCode of the body (REQUEST_LIMIT_EXCEEDED for 403, ...). */
  readonly errorCode?: string;
}

/** Fail these record ids in a batch update, applying the others (a partial failure). */
export interface RecordsFault extends FaultScope {
  readonly kind: 'fail-records';
  readonly ids: readonly string[];
  /** The vendor's per-record code: HubSpot category, Salesforce statusCode. */
  readonly code?: string;
  readonly message?: string;
}

/** Read the whole body, then destroy the connection without answering. */
export interface DropFault extends FaultScope {
  readonly kind: 'drop';
}

/** Read the whole body, then never answer (the connection stays open until close): a sync killed mid-call. */
export interface HoldFault extends FaultScope {
  readonly kind: 'hold';
}

export type Fault = StatusFault | RecordsFault | DropFault | HoldFault;

/** What a route answers. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request handed to a vendor's routes, after auth and faults. */
export interface Call {
  readonly method: string;
  /** Path without the query string, percent-decoded. */
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** The records fault scripted for this request, if any. */
  readonly failRecords: RecordsFault | undefined;
}

export interface FakeHttp {
  /** http://127.0.0.1:port, no trailing slash. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Faults still to play, in order; push more at any time. */
  readonly script: Fault[];
  close(): Promise<void>;
}

export interface Vendor {
  readonly token: string;
  /** The vendor's answer to a missing or wrong bearer token. */
  unauthorized(presented: string | undefined): Answer;
  /** The vendor's answer for a scripted status. */
  faultAnswer(fault: StatusFault): Answer;
  route(call: Call): Answer;
}

/** Starts the server; resolves once it listens. */
export async function startFakeHttp(vendor: Vendor): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const script: Fault[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    // An aborted upload ends here with an error or no 'end': nothing to answer, nothing to record.
    req.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => serve(vendor, requests, script, req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(
  vendor: Vendor,
  requests: RecordedRequest[],
  script: Fault[],
  req: IncomingMessage,
  res: ServerResponse,
  text: string,
): void {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const body = parseBody(text);
  requests.push({ method, path, headers: lowerHeaders(req), body });
  const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (presented !== vendor.token) {
    send(res, vendor.unauthorized(presented));
    return;
  }
  const fault = takeFault(script, `${method} ${path}`);
  if (fault?.kind === 'drop') {
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'hold') return;
  if (fault?.kind === 'status') {
    send(res, vendor.faultAnswer(fault));
    return;
  }
  const url = new URL(path, 'http://fake');
  let answer: Answer;
  try {
    answer = vendor.route({
      method,
      pathname: decodeURIComponent(url.pathname),
      query: url.searchParams,
      body,
      failRecords: fault,
    });
  } catch (error) {
    // A bug in a fake must show as itself, not as a vendor's answer the client might retry.
    answer = { status: 599, body: { fakeServerError: String(error) } };
  }
  send(res, answer);
}

/** The first fault matching `request`, counted down and removed when used up. */
function takeFault(script: Fault[], request: string): Fault | undefined {
  const index = script.findIndex((fault) => matches(fault.match, request));
  const fault = script[index];
  if (fault === undefined) return undefined;
  if ((fault.skip ?? 0) > 0) {
    fault.skip = (fault.skip ?? 0) - 1;
    return undefined;
  }
  fault.times = (fault.times ?? 1) - 1;
  if (fault.times <= 0) script.splice(index, 1);
  return fault;
}

function matches(match: string | RegExp | undefined, request: string): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? request.includes(match) : match.test(request);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.socket?.destroyed) return;
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...(text === '' ? {} : { 'content-type': 'application/json;charset=UTF-8' }),
    ...answer.headers,
  });
  res.end(text);
}

/** A Retry-After header when the fault asks for one. */
export function retryAfterHeader(fault: StatusFault): Record<string, string> {
  return fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
}
