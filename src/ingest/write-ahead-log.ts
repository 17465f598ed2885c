import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { UnreadableLine } from './quarantine.js';

/**
 * The write-ahead log of ingested messages: append-only NDJSON segments
 * (`wal-000001.ndjson`, ...) in one folder. A request is acknowledged only after its
 * records are written and fsynced; requests arriving while a write is in flight share the
 * next one (group commit), so a flood of small requests costs one fsync per few
 * milliseconds, not one each. After a crash, a torn last line (a write cut short, never
 * acknowledged) is cut off on open. What has been applied to the store is a checkpoint
 * (segment, byte offset) written atomically after each apply.
 *
 * The records of recent writes are also kept in memory, once on disk, by the byte range they
 * occupy (up to TAIL_BYTES of them): the apply loop, reading just behind the writer, takes
 * them from there instead of reading and parsing the lines again. They are JSON values (the
 * routes build them so), equal to what parsing their lines gives; any read the memory cannot
 * answer whole (after a restart, or a tail dropped for its size) goes to the disk.
 */

/** At most this many bytes of recent records are kept in memory for the apply loop. */
const TAIL_BYTES = 64 * 2 ** 20;

/** Records written together, and the bytes they occupy in their segment. */
interface TailEntry {
  readonly segment: number;
  readonly from: number;
  readonly to: number;
  readonly records: readonly unknown[];
}

export interface Position {
  readonly segment: number;
  readonly offset: number;
}

const segmentName = (segment: number) => `wal-${String(segment).padStart(6, '0')}.ndjson`;

export class WriteAheadLog {
  private segment: number;
  private size: number;
  private file: Awaited<ReturnType<typeof open>> | null = null;
  private waiting: {
    lines: string;
    records: readonly unknown[];
    done: () => void;
    failed: (error: Error) => void;
  }[] = [];
  /** Recent writes, oldest first, contiguous within a segment (see TAIL_BYTES). */
  private tail: TailEntry[] = [];
  private tailBytes = 0;
  /** The size each segment was rotated at: a read at that offset goes on in the next one. */
  private readonly rotatedAt = new Map<number, number>();
  private writing: Promise<void> | null = null;
  /** Everything before this is on disk. */
  private durableAt: Position;

  private constructor(
    readonly dir: string,
    private readonly maxSegmentBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    const segments = listSegments(dir);
    this.segment = segments[segments.length - 1] ?? 1;
    this.size = existsSync(this.path(this.segment)) ? cutTornTail(this.path(this.segment)) : 0;
    this.durableAt = { segment: this.segment, offset: this.size };
  }

  /** Opens (and recovers) the log in `dir`. */
  static async open(dir: string, options: { maxSegmentBytes?: number } = {}): Promise<WriteAheadLog> {
    const log = new WriteAheadLog(dir, options.maxSegmentBytes ?? 64 * 2 ** 20);
    log.file = await open(log.path(log.segment), 'a');
    return log;
  }

  private path(segment: number): string {
    return join(this.dir, segmentName(segment));
  }

  /** The end of what is on disk. */
  get durable(): Position {
    return this.durableAt;
  }

  /** Appends records (one JSON line each); resolves once they are on disk. */
  append(records: readonly unknown[]): Promise<void> {
    const lines = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    return new Promise((done, failed) => {
      this.waiting.push({ lines, records, done, failed });
      this.writing ??= this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    // Let the requests of this turn of the event loop join the group.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      const bytes = Buffer.from(group.map((entry) => entry.lines).join(''));
      try {
        const file = this.file;
        if (!file) throw new Error('the write-ahead log is closed');
        await file.write(bytes);
        await file.datasync();
        this.remember(this.size, this.size + bytes.length, group);
        this.size += bytes.length;
        this.durableAt = { segment: this.segment, offset: this.size };
        for (const entry of group) entry.done();
        if (this.size >= this.maxSegmentBytes) await this.rotate();
      } catch (error) {
        for (const entry of group) entry.failed(error as Error);
      }
    }
    this.writing = null;
  }

  /** Keeps a durable write's records for the apply loop, dropping the oldest beyond TAIL_BYTES. */
  private remember(from: number, to: number, group: readonly { records: readonly unknown[] }[]): void {
    const last = this.tail[this.tail.length - 1];
    // Only a write right after the last one kept: the tail has no holes.
    if (
      last &&
      !(last.segment === this.segment && last.to === from) &&
      this.rotatedAt.get(last.segment) !== last.to
    )
      this.forget();
    this.tail.push({ segment: this.segment, from, to, records: group.flatMap((entry) => entry.records) });
    this.tailBytes += to - from;
    while (this.tailBytes > TAIL_BYTES && this.tail.length > 0) this.dropOldest();
  }

  private dropOldest(): void {
    const first = this.tail.shift();
    if (first) this.tailBytes -= first.to - first.from;
  }

  private forget(): void {
    this.tail = [];
    this.tailBytes = 0;
  }

  /**
   * The kept records from `from` on, whole writes up to about `maxBytes` (at least one), or
   * null when the memory does not start exactly there. Writes wholly before `from` are dropped.
   */
  private readTail(from: Position, maxBytes: number): { records: unknown[]; next: Position } | null {
    let at = from;
    // The end of a rotated segment is the start of the next one.
    if (this.rotatedAt.get(at.segment) === at.offset) at = { segment: at.segment + 1, offset: 0 };
    while (
      this.tail[0] &&
      (this.tail[0].segment < at.segment ||
        (this.tail[0].segment === at.segment && this.tail[0].to <= at.offset))
    )
      this.dropOldest();
    const first = this.tail[0];
    if (!first || first.segment !== at.segment || first.from !== at.offset) return null;
    const records: unknown[] = [];
    let next = at;
    for (const entry of this.tail) {
      if (entry.segment !== next.segment || entry.from !== next.offset) break;
      if (records.length > 0 && entry.to - at.offset > maxBytes) break;
      for (const record of entry.records) records.push(record);
      next = { segment: entry.segment, offset: entry.to };
    }
    return { records, next };
  }

  private async rotate(): Promise<void> {
    this.rotatedAt.set(this.segment, this.size);
    await this.file?.close();
    this.segment += 1;
    this.size = 0;
    this.file = await open(this.path(this.segment), 'a');
    this.durableAt = { segment: this.segment, offset: 0 };
  }

  /**
   * The records from `from` up to the durable end, about `maxBytes` of them at most (whole
   * lines), and the position after the last one returned.
   */
  read(from: Position, maxBytes = 16 * 2 ** 20): { records: unknown[]; next: Position } {
    const kept = this.readTail(from, maxBytes);
    if (kept) return kept;
    const records: unknown[] = [];
    let at = from;
    while (at.segment <= this.durableAt.segment && records.length === 0) {
      const path = this.path(at.segment);
      const end = at.segment === this.durableAt.segment ? this.durableAt.offset : null;
      if (!existsSync(path)) {
        if (end !== null) break;
        at = { segment: at.segment + 1, offset: 0 };
        continue;
      }
      const fd = openSync(path, 'r');
      try {
        const stop = Math.min(end ?? fstatSync(fd).size, at.offset + maxBytes);
        const bytes = Buffer.alloc(Math.max(0, stop - at.offset));
        readSync(fd, bytes, 0, bytes.length, at.offset);
        let whole = bytes.lastIndexOf(0x0a) + 1;
        for (const line of bytes.subarray(0, whole).toString('utf8').split('\n'))
          if (line) records.push(parseLine(line));
        // A line longer than a whole read (the log was damaged: no record is that long) is
        // skipped up to its end, kept as its first kilobyte, so the lines after it are read.
        if (whole === 0 && bytes.length === maxBytes) {
          const newline = nextNewline(fd, at.offset + bytes.length, end ?? fstatSync(fd).size);
          if (newline !== null) {
            records.push(new UnreadableLine(bytes.subarray(0, 1024).toString('utf8')));
            whole = newline + 1 - at.offset;
          }
        }
        // A finished segment ending in a partial line (damaged): kept, and the next segment read.
        if (whole === 0 && end === null && bytes.length > 0 && stop >= fstatSync(fd).size) {
          records.push(new UnreadableLine(bytes.subarray(0, 1024).toString('utf8')));
          whole = bytes.length;
        }
        at = { segment: at.segment, offset: at.offset + whole };
        // A finished segment read to its end: go on in the next one.
        if (end === null && at.offset >= fstatSync(fd).size) at = { segment: at.segment + 1, offset: 0 };
        else if (whole === 0) break;
      } finally {
        closeSync(fd);
      }
    }
    return { records, next: at };
  }

  /** Deletes the segments wholly before `position` (applied, no longer needed). */
  dropBefore(position: Position): void {
    for (const segment of listSegments(this.dir))
      if (segment < position.segment) rmSync(this.path(segment), { force: true });
  }

  async close(): Promise<void> {
    await this.writing;
    await this.file?.close();
    this.file = null;
  }
}

/** A record of the log; a line that is not JSON (damage, an edit) is kept as its text for the quarantine. */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return new UnreadableLine(line);
  }
}

/** The offset of the first newline at or after `from` (before `limit`), or null. */
function nextNewline(fd: number, from: number, limit: number): number | null {
  const chunk = Buffer.alloc(2 ** 20);
  for (let at = from; at < limit; at += chunk.length) {
    const read = readSync(fd, chunk, 0, Math.min(chunk.length, limit - at), at);
    const index = chunk.subarray(0, read).indexOf(0x0a);
    if (index >= 0) return at + index;
    if (read === 0) break;
  }
  return null;
}

function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => /^wal-(\d{6})\.ndjson$/.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Cuts a torn last line (no newline, or not JSON) off a segment; returns its size after. */
function cutTornTail(path: string): number {
  const bytes = readFileSync(path);
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] !== 0x0a) end = bytes.lastIndexOf(0x0a) + 1;
  if (end < bytes.length) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, end);
      fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return end;
}

/** Where the store's applied records end, kept in `applied.json` beside the segments. */
export function readCheckpoint(dir: string): Position {
  const path = join(dir, 'applied.json');
  if (!existsSync(path)) return { segment: 1, offset: 0 };
  return JSON.parse(readFileSync(path, 'utf8')) as Position;
}

/** Records the applied position atomically (written aside, then renamed over). */
export function writeCheckpoint(dir: string, position: Position): void {
  const path = join(dir, 'applied.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(position));
  renameSync(`${path}.tmp`, path);
}
