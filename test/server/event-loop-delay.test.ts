import { afterEach, describe, expect, it } from 'vitest';
import { Turns } from '../../src/activate/turns.js';
import { EventLoopDelay } from '../../src/server/event-loop-delay.js';

/*
 * /health's event-loop figure against a stall of known length, and `Turns` letting a timer
 * run in the middle of a long loop (which, without it, runs only after the loop).
 */

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

let monitor: EventLoopDelay | null = null;
afterEach(() => monitor?.stop());

describe('the event loop, watched and shared', () => {
  it('reports a 120 ms stall as the longest delay, and near nothing as the median', async () => {
    monitor = new EventLoopDelay();
    for (let i = 0; i < 10; i++) await tick();
    busy(120);
    for (let i = 0; i < 10; i++) await tick();
    const { p50Ms, maxMs } = monitor.last;
    // The 5 ms tick ran about 120 ms late once (the stall, less the part of a tick it began in).
    expect(maxMs).toBeGreaterThanOrEqual(110);
    expect(maxMs).toBeLessThan(1_000);
    expect(p50Ms).toBeLessThan(20);
  });

  it('lets a due timer run inside a long loop that yields through Turns', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 1);
    const turns = new Turns(4);
    for (let i = 0; i < 25; i++) {
      busy(2);
      if (turns.due()) await turns.next();
    }
    order.push('loop done');
    expect(order).toEqual(['timer', 'loop done']);
  });
});
