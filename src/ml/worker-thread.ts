import { workerData } from 'node:worker_threads';
import { serveJobs, type WorkerData } from './worker-pool.js';
import { TASKS, type Task } from './worker-tasks.js';

/** The script of a model's worker thread (started by worker-pool.ts): serves its task's jobs until stopped. */
const data = workerData as WorkerData;
serveJobs(data, TASKS[data.task] as Task<unknown>);
