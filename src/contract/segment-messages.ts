import { z } from 'zod';
import { parseInstant } from '../model/instant.js';

/**
 * Messages of the Segment tracking spec (identify, track, group, page, and batches of them),
 * as the Segment and RudderStack libraries send them. `Message` is what the ingestion routes
 * validate (src/ingest/segment-messages.ts reduces it to the logged record, and checks what
 * each type requires); Identify, Track, Group and Page say those requirements for the
 * OpenAPI document. Fields outside the spec are allowed and ignored.
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
  )
  .meta({ format: 'date-time' });
/**
 * Properties and traits: checked, not copied. A copy made key by key would turn a key
 * `__proto__` (data, as JSON.parse gives it) into the copy's prototype and lose it.
 */
const object = z
  .custom<Record<string, unknown>>(
    (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
    'expected an object',
  )
  .meta({ type: 'object' });

const MessageFields = z.looseObject({
  type: z.enum(MESSAGE_TYPES).optional(),
  messageId: text.optional().describe('Deduplication key: a message is stored once per id'),
  userId: id.nullish(),
  anonymousId: id.nullish().describe('userId or anonymousId is required'),
  timestamp: timestamp.optional(),
  sentAt: timestamp.optional(),
  context: z.looseObject({ groupId: id.optional().describe('The account of the event') }).optional(),
  // track
  event: text.optional(),
  properties: object.optional(),
  // identify, group
  traits: object.optional(),
  groupId: id.optional(),
  // page
  name: z.string().max(1024).nullish(),
  category: z.string().max(1024).nullish(),
});

/** Any message, as every ingestion route validates it. */
export const Message = MessageFields.superRefine((message, context) => {
  if (message.userId == null && message.anonymousId == null)
    context.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
});
export type Message = z.infer<typeof Message>;

/** The body of /v1/batch (each message is validated as `Message` on its own, to name it in errors). */
export const Batch = z.looseObject({
  batch: z.array(z.unknown()).min(1).max(10_000),
  context: object.optional(),
  sentAt: timestamp.optional(),
});

// What each type requires, for the document (src/ingest/segment-messages.ts checks it).
export const Identify = MessageFields.extend({ type: z.literal('identify').optional() });
export const Track = MessageFields.extend({ type: z.literal('track').optional(), event: text });
export const Group = MessageFields.extend({ type: z.literal('group').optional(), groupId: id });
export const Page = MessageFields.extend({ type: z.literal('page').optional() });
/** /v1/batch as documented: up to 10,000 messages of any type. */
export const BatchDocument = Batch.extend({
  batch: z
    .array(z.union([Identify, Track, Group, Page]))
    .min(1)
    .max(10_000),
});
