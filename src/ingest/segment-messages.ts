import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, Message, type MessageType } from '../contract/segment-messages.js';
import { canonicalInstant, formatInstant, isExact, parseInstant } from '../model/instant.js';
import { plainMessage } from './plain-message.js';
import { findTextProblem } from './storable-text.js';

/**
 * Messages of the Segment tracking spec (identify, track, group, page, and batches of them),
 * as the Segment and RudderStack libraries send them, validated and reduced to the record
 * that is written to the log (the schemas themselves are the API contract's,
 * src/contract/segment-messages.ts). Fields outside the spec are allowed and ignored.
 */

export { Batch, MESSAGE_TYPES, type MessageType } from '../contract/segment-messages.js';

/** A message as logged: the spec's fields that Strata keeps, times corrected, an id always. */
export interface LoggedMessage {
  readonly type: MessageType;
  readonly messageId: string;
  readonly userId: string | null;
  readonly anonymousId: string | null;
  /** The account named by the message (group's groupId, or context.groupId). */
  readonly groupId: string | null;
  /**
   * When it happened (ISO, UTC, to the microsecond: `2024-05-01T13:45:00.123456Z`),
   * corrected for the sender's clock as Segment does.
   */
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly event: string | null;
  readonly properties: Record<string, unknown>;
  readonly traits: Record<string, unknown>;
}

/** A message that failed validation: where, and why (for the 400 answer). */
export class InvalidMessage extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * Validates one message of the request (`path` names it in errors, `batch[3]`) and reduces
 * it to its logged form. `type` is the endpoint's when the message has none.
 */
export function toLogged(
  raw: unknown,
  endpointType: MessageType | null,
  receivedAt: Date,
  path: string,
  batchSentAt?: string,
): LoggedMessage {
  const message: Message = plainMessage(raw) ?? parsedMessage(raw, path);
  // Every text that will be stored, checked before the message is acknowledged.
  const stored = {
    messageId: message.messageId,
    userId: message.userId,
    anonymousId: message.anonymousId,
    groupId: message.groupId,
    context: { groupId: message.context?.groupId },
    event: message.event,
    name: message.name,
    category: message.category,
    properties: message.properties,
    traits: message.traits,
  };
  const bad = findTextProblem(stored, path);
  if (bad) throw new InvalidMessage(bad.path, bad.reason);
  const type = message.type ?? endpointType;
  if (!type) throw new InvalidMessage(`${path}.type`, `expected one of ${MESSAGE_TYPES.join(', ')}`);
  if (endpointType && message.type && message.type !== endpointType)
    throw new InvalidMessage(`${path}.type`, `${message.type} sent to /v1/${endpointType}`);
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (type === 'track' && !message.event) throw new InvalidMessage(at('event'), 'required for a track call');
  if (type === 'group' && message.groupId === undefined)
    throw new InvalidMessage(at('groupId'), 'required for a group call');
  const properties = { ...(message.properties ?? {}) };
  if (type === 'page') {
    if (message.name) properties.name ??= message.name;
    if (message.category) properties.category ??= message.category;
  }
  return {
    type,
    messageId: message.messageId ?? randomUUID(),
    userId: message.userId ?? null,
    anonymousId: message.anonymousId ?? null,
    groupId: type === 'group' ? (message.groupId ?? null) : (message.context?.groupId ?? null),
    timestamp: correctedTime(message.timestamp, message.sentAt ?? batchSentAt, receivedAt),
    receivedAt: receivedAt.toISOString(),
    event: type === 'track' ? (message.event ?? null) : type === 'page' ? 'page' : null,
    properties,
    traits: message.traits ?? {},
  };
}

/** The message as the contract's schema reads it, or its first error naming the field. */
function parsedMessage(raw: unknown, path: string): Message {
  const parsed = Message.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = [path, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
    throw new InvalidMessage(where || 'body', issue?.message ?? 'invalid message');
  }
  return parsed.data;
}

/** A sender's clock this far from ours is wrong, not just seconds of network and queueing away. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Segment's clock correction: a device's clock may be off, but the gap between when it made
 * the event and when it sent it is right, so timestamp = receivedAt - (sentAt - timestamp).
 * Applied only when sentAt is more than a minute from receivedAt, so that a correct clock's
 * timestamps are kept exactly as sent. Worked in microseconds with `parseInstant`, which
 * reads the text as the file importer does, so the API and an import store one instant.
 */
function correctedTime(timestamp: string | undefined, sentAt: string | undefined, receivedAt: Date): string {
  const received = receivedAt.getTime() * 1000;
  const made = timestamp === undefined ? null : parseInstant(timestamp);
  if (made === null) return formatInstant(received);
  const sent = sentAt === undefined ? null : parseInstant(sentAt);
  if (sent === null || Math.abs(sent - received) <= CLOCK_SKEW_MS * 1000)
    return canonicalInstant(timestamp as string, made);
  const corrected = received - (sent - made);
  // A correction beyond what is written exactly (a sender's clock centuries off) keeps the arrival time.
  return formatInstant(isExact(corrected) ? corrected : received);
}
