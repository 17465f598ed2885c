import { boostingTask } from './boosting/kernels.js';
import { startsTask } from './kmeans-starts.js';
import { gradientTask } from './logistic-kernels.js';

/**
 * A task of a worker thread: given the shared state once, the function run for each posted
 * job on its arguments (integers), returning an integer result.
 */
export type Task<S> = (state: S) => (args: Int32Array) => number;

/** The tasks worker threads can run, by name (worker-pool.ts posts them, worker-thread.ts serves them). */
export const TASKS = {
  logisticGradient: gradientTask,
  boosting: boostingTask,
  kmeansStarts: startsTask,
};

export type TaskName = keyof typeof TASKS;
/** The shared state a task's workers receive. */
export type TaskState<N extends TaskName> = Parameters<(typeof TASKS)[N]>[0];
