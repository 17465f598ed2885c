import { Worker } from 'node:worker_threads';
import { StrataError } from '../errors.js';
import type { Task, TaskName, TaskState } from './worker-tasks.js';

/**
 * Worker threads that take a share of a model's fit, for logistic regression, boosting and
 * k-means. The fits stay synchronous (their callers and the CLI are), and a boosting fit
 * posts thousands of jobs a second: so a job is a few integers written to shared memory and
 * a number bumped with Atomics, never a message through the event loop. The kernels are
 * plain modules (worker-tasks.ts) that worker-thread.ts imports.
 *
 * One error path: a task's exception in a worker is caught there, its message written to
 * shared memory, and `wait` throws it as an internal StrataError after terminating every
 * worker; so does a wait past the pool's patience. A worker that is not running 30 s after
 * it was started, or a closed pool, leaves its shares to the caller: results never depend
 * on the threads.
 */

/** Words of a worker's control array; a job's arguments follow from ARGS. */
const JOB = 0;
const DONE = 1;
const STOP = 2;
const READY = 3;
const FAILED = 4;
const RESULT = 5;
const MESSAGE_BYTES = 6;
const ARGS = 8;
/** Most arguments a job takes. */
const MAX_ARGS = 16;
/** Bytes kept of a failed task's message. */
const MESSAGE_CAPACITY = 2048;
/** Jobs come every few milliseconds in boosting: spin a little before sleeping, as waking costs more. */
const SPIN = 20_000;
/** How long a worker may take to start: about 0.1 s from dist/, 1 s from the sources (tsx compiles them). */
const START_MS = 30_000;

/** What a worker thread receives: its task, the task's shared state, and its control memory. */
export interface WorkerData {
  readonly task: TaskName;
  readonly state: unknown;
  readonly control: Int32Array;
  readonly message: Uint8Array;
}

/**
 * The worker's script: the compiled worker-thread.js beside this file, or, when running from
 * the TypeScript sources (vitest, tsx), worker-thread.ts through tsx's API, since Node 20
 * passes no module loader on to worker threads.
 */
function spawn(data: WorkerData): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker-thread.js', self), { workerData: data });
  const entry = JSON.stringify(new URL('./worker-thread.ts', self).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((api) => api.tsImport(${entry}, ${JSON.stringify(self)}));`;
  return new Worker(boot, { eval: true, workerData: data });
}

interface PoolWorker {
  readonly thread: Worker;
  readonly control: Int32Array;
  readonly message: Uint8Array;
  /** The last job posted, and whether the worker runs (null until first asked). */
  job: number;
  running: boolean | null;
}

/** Worker threads serving one task over shared state; the caller's thread works alongside them. */
export class WorkerPool<N extends TaskName> {
  private readonly workers: PoolWorker[];
  private closed = false;

  /**
   * Starts `count` workers for `task` on `state` (typed arrays on SharedArrayBuffers, shared
   * WebAssembly memory). `label` names the model in errors; `patienceMs` bounds each wait.
   */
  constructor(
    task: N,
    state: TaskState<N>,
    count: number,
    private readonly label: string,
    private readonly patienceMs: number,
  ) {
    this.workers = Array.from({ length: count }, () => {
      const control = new Int32Array(new SharedArrayBuffer((ARGS + MAX_ARGS) * 4));
      const message = new Uint8Array(new SharedArrayBuffer(MESSAGE_CAPACITY));
      const thread = spawn({ task, state, control, message });
      // A worker whose script fails to load never sets READY: its share falls back to the caller.
      thread.on('error', (error) =>
        process.emitWarning(`${label}: a worker thread stopped: ${error.message}`),
      );
      thread.unref();
      return { thread, control, message, job: 0, running: null };
    });
  }

  /** Number of workers (besides the caller's thread). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Posts a job with `args` to worker `t`, waiting for the worker to start the first time;
   * false when it is not running (the caller then does that share).
   */
  post(t: number, args: ArrayLike<number>): boolean {
    const member = this.workers[t];
    if (!member || this.closed || !this.ready(member)) return false;
    this.send(member, args);
    return true;
  }

  /**
   * Posts a job whose items every thread takes from a shared counter, without waiting for
   * the worker to start: one that has not started takes fewer items, or none, and the
   * caller's thread takes the rest. False when the worker is known not to run.
   */
  offer(t: number, args: ArrayLike<number>): boolean {
    const member = this.workers[t];
    if (!member || this.closed || member.running === false) return false;
    this.send(member, args);
    return true;
  }

  /**
   * Waits for worker `t`'s job and returns its result (0 for an offered job whose worker never
   * started); throws the job's error, or when it takes longer than the patience.
   */
  wait(t: number): number {
    const member = this.workers[t];
    if (!member) throw new StrataError('internal', `${this.label}: no worker thread ${t}`);
    if (!this.ready(member)) return 0;
    const { control } = member;
    for (let spin = 0; spin < SPIN && Atomics.load(control, DONE) !== member.job; spin++);
    const deadline = Date.now() + this.patienceMs;
    for (let done = Atomics.load(control, DONE); done !== member.job; done = Atomics.load(control, DONE)) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(control, DONE, done, left) === 'timed-out') {
        this.close();
        const seconds = Math.round(this.patienceMs / 1000);
        throw new StrataError('internal', `${this.label}: a worker thread did not answer in ${seconds} s`);
      }
    }
    if (Atomics.load(control, FAILED) === 1) {
      const bytes = member.message.slice(0, Atomics.load(control, MESSAGE_BYTES));
      this.close();
      throw new StrataError(
        'internal',
        `${this.label}: a worker thread failed: ${new TextDecoder().decode(bytes)}`,
      );
    }
    return Atomics.load(control, RESULT);
  }

  /** Stops and terminates every worker; safe to call twice. */
  close(): void {
    this.closed = true;
    for (const member of this.workers) {
      Atomics.store(member.control, STOP, 1);
      Atomics.store(member.control, JOB, ++member.job);
      Atomics.notify(member.control, JOB);
      void member.thread.terminate();
    }
  }

  private send(member: PoolWorker, args: ArrayLike<number>): void {
    const { control } = member;
    for (let a = 0; a < args.length; a++) control[ARGS + a] = args[a] ?? 0;
    Atomics.store(control, JOB, ++member.job);
    Atomics.notify(control, JOB);
  }

  /** Whether the worker runs, waiting for it the first time (a bounded wait). */
  private ready(member: PoolWorker): boolean {
    if (member.running === null) {
      member.running =
        Atomics.load(member.control, READY) === 1 ||
        Atomics.wait(member.control, READY, 0, START_MS) !== 'timed-out';
      if (!member.running) void member.thread.terminate();
    }
    return member.running;
  }
}

/** Writes a failed task's message into the worker's shared bytes (cut at the capacity). */
function report(data: WorkerData, error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  const { written } = new TextEncoder().encodeInto(text, data.message);
  Atomics.store(data.control, MESSAGE_BYTES, written);
  Atomics.store(data.control, FAILED, 1);
}

/**
 * A worker thread's loop (worker-thread.ts runs it): sleeps until a job number appears, runs
 * the task on the job's arguments, and echoes the number; stops when STOP is set.
 */
export function serveJobs(data: WorkerData, make: (state: unknown) => ReturnType<Task<never>>): void {
  const { control } = data;
  const args = control.subarray(ARGS, ARGS + MAX_ARGS);
  let run: ReturnType<Task<never>> | null = null;
  Atomics.store(control, READY, 1);
  Atomics.notify(control, READY);
  let seen = 0;
  for (;;) {
    for (let spin = 0; spin < SPIN && Atomics.load(control, JOB) === seen; spin++);
    Atomics.wait(control, JOB, seen);
    const job = Atomics.load(control, JOB);
    if (job === seen) continue;
    seen = job;
    if (Atomics.load(control, STOP) === 1) return;
    try {
      run ??= make(data.state);
      Atomics.store(control, RESULT, run(args));
    } catch (error) {
      report(data, error);
    }
    Atomics.store(control, DONE, job);
    Atomics.notify(control, DONE);
  }
}
