import { MESSAGE_TYPES, type Message } from '../contract/segment-messages.js';
import { parseInstant } from '../model/instant.js';

/**
 * The contract's `Message` schema (src/contract/segment-messages.ts) checked by hand for the
 * fields Strata reads: a message the schema accepts gives what the schema gives for them,
 * anything else null, and the caller asks the schema itself (for its error, naming the field).
 * Zod walks every field through its general machinery and copies the object; at tens of
 * thousands of messages a second that was a tenth of the server's time (the door took 9 us a
 * message with it, 4.5 without). test/ingest/plain-message.test.ts holds the two to the same
 * answers on random messages (STRATA_FC_SEED=random explores others).
 */

const TYPES: ReadonlySet<unknown> = new Set(MESSAGE_TYPES);

/** Code points: a surrogate pair counts once (as the schema measures text), a lone half once. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++)
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  return count;
}
/** At most 1,024 code points (`z.string().max(1024)`). */
const isShort = (text: string) => text.length <= 1024 || codePoints(text) <= 1024;
/** `z.string().min(1).max(1024)`. */
const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && isShort(value);
/** An object that is not an array (the schema's objects and its `object`). */
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const INVALID = Symbol('invalid');
/** An id: text as it is, a finite number as its text; INVALID when neither. */
const idOf = (value: unknown): string | typeof INVALID =>
  isText(value) ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : INVALID;
const isTime = (value: unknown) => typeof value === 'string' && parseInstant(value) !== null;
const isName = (value: unknown) => value == null || (typeof value === 'string' && isShort(value));

/** The fields of `raw` as `Message.parse` gives them, or null when the schema may refuse it. */
export function plainMessage(raw: unknown): Message | null {
  if (!isObject(raw)) return null;
  const { type, messageId, userId, anonymousId, timestamp, sentAt, context, event } = raw;
  const { properties, traits, groupId, name, category } = raw;
  if (type !== undefined && !TYPES.has(type)) return null;
  if (messageId !== undefined && !isText(messageId)) return null;
  const user = userId == null ? userId : idOf(userId);
  const anonymous = anonymousId == null ? anonymousId : idOf(anonymousId);
  if (user === INVALID || anonymous === INVALID || (user == null && anonymous == null)) return null;
  if ((timestamp !== undefined && !isTime(timestamp)) || (sentAt !== undefined && !isTime(sentAt)))
    return null;
  let contextGroup: string | undefined;
  if (context !== undefined) {
    if (!isObject(context)) return null;
    const group = context.groupId === undefined ? undefined : idOf(context.groupId);
    if (group === INVALID) return null;
    contextGroup = group;
  }
  if (event !== undefined && !isText(event)) return null;
  if ((properties !== undefined && !isObject(properties)) || (traits !== undefined && !isObject(traits)))
    return null;
  const group = groupId === undefined ? undefined : idOf(groupId);
  if (group === INVALID || !isName(name) || !isName(category)) return null;
  return {
    type: type as Message['type'],
    messageId: messageId as string | undefined,
    userId: user,
    anonymousId: anonymous,
    timestamp: timestamp as string | undefined,
    sentAt: sentAt as string | undefined,
    context: context === undefined ? undefined : { groupId: contextGroup },
    event: event as string | undefined,
    properties: properties as Record<string, unknown> | undefined,
    traits: traits as Record<string, unknown> | undefined,
    groupId: group,
    name: name as string | null | undefined,
    category: category as string | null | undefined,
  };
}
