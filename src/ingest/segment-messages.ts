import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { formatInstant, isExact, parseInstant } from './instant.js';
import { findTextProblem } from './storable-text.js';

/**
 * Messages of the Segment tracking spec (identify, track, group, page, and batches of them),
 * as the Segment and RudderStack libraries send them, validated and reduced to the record
 * that is written to the log. Fields outside the spec are allowed and ignored.
 */

export const MESSAGE_TYPES = ['identify', 'track', 'group', 'page'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

const text = z.string().min(1).max(1024);
const id = z.union([text, z.number().transform(String)]);
const timestamp = z
  .string()
  .refine(
    (value) => parseInstant(value) !== null,
    'not an ISO-8601 timestamp (such as 2024-05-01T13:45:00.123456+02:00)',
  );
/**
 * Properties and traits: checked, not copied. A copy made key by key would turn a key
 * `__proto__` (data, as JSON.parse gives it) into the copy's prototype and lose it.
 */
const object = z.custom<Record<string, unknown>>(
  (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
  'expected an object',
);

const Message = z
  .looseObject({
    type: z.enum(MESSAGE_TYPES).optional(),
    messageId: text.optional(),
    userId: id.nullish(),
    anonymousId: id.nullish(),
    timestamp: timestamp.optional(),
    sentAt: timestamp.optional(),
    context: z.looseObject({ groupId: id.optional() }).optional(),
    // track
    event: text.optional(),
    properties: object.optional(),
    // identify, group
    traits: object.optional(),
    groupId: id.optional(),
    // page
    name: z.string().max(1024).nullish(),
    category: z.string().max(1024).nullish(),
  })
  .superRefine((message, context) => {
    if (message.userId == null && message.anonymousId == null)
      context.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
  });
type Message = z.infer<typeof Message>;

export const Batch = z.looseObject({
  batch: z.array(z.unknown()).min(1).max(10_000),
  context: object.optional(),
  sentAt: timestamp.optional(),
});

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
  const parsed = Message.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = [path, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
    throw new InvalidMessage(where || 'body', issue?.message ?? 'invalid message');
  }
  const message: Message = parsed.data;
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
  if (sent === null || Math.abs(sent - received) <= CLOCK_SKEW_MS * 1000) return formatInstant(made);
  const corrected = received - (sent - made);
  // A correction beyond what is written exactly (a sender's clock centuries off) keeps the arrival time.
  return formatInstant(isExact(corrected) ? corrected : received);
}
