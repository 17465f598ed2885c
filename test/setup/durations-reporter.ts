import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { DURATIONS_FILE } from './slowest-first.js';

const root = join(import.meta.dirname, '..', '..');
const README = join(root, 'test', 'README.md');
const START = '<!-- slowest-files:start -->';
const END = '<!-- slowest-files:end -->';

/** Seconds to one decimal. */
const s = (ms: number) => Math.round(ms / 100) / 10;

/**
 * `npm run test:durations`: after a whole, passing run, writes each file's seconds (import,
 * hooks and tests) to test/durations.json, which orders the next runs (slowest-first.ts), and
 * the table of the slowest files into test/README.md. Run it on a quiet machine.
 */
export default class DurationsReporter implements Reporter {
  private started = 0;
  private load: number[] = [];

  onTestRunStart(): void {
    this.started = Date.now();
    this.load = loadavg();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const wall = Date.now() - this.started;
    if (modules.some((m) => m.state() !== 'passed')) {
      console.log('test:durations: not written, the run did not pass');
      return;
    }
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        return {
          file: relative(root, m.moduleId),
          project: m.project.name,
          tests: [...m.children.allTests()].length,
          seconds: s(d.collectDuration + d.duration),
        };
      })
      .sort((a, b) => b.seconds - a.seconds);
    const measured = {
      date: new Date().toISOString().slice(0, 10),
      cores: cpus().length,
      loadAverageAtStart: this.load.map((x) => Math.round(x * 100) / 100),
      wallSeconds: s(wall),
      fileSecondsSum: Math.round(rows.reduce((sum, r) => sum + r.seconds, 0)),
    };
    const files = Object.fromEntries(rows.map((r) => [r.file, r.seconds]));
    writeFileSync(DURATIONS_FILE, `${JSON.stringify({ measured, files }, null, 2)}\n`);

    const table = [
      `Measured ${measured.date} by \`npm run test:durations\` on ${measured.cores} cores (load average ${measured.loadAverageAtStart.join(', ')} at the start):`,
      `${rows.length} files, ${measured.fileSecondsSum} s of file time, ${measured.wallSeconds} s of wall time for \`vitest run\`.`,
      '',
      '| file | project | tests | seconds |',
      '|---|---|---:|---:|',
      ...rows
        .slice(0, 15)
        .map((r) => `| \`${r.file}\` | ${r.project} | ${r.tests} | ${r.seconds.toFixed(1)} |`),
    ].join('\n');
    const readme = readFileSync(README, 'utf8');
    const [before, rest] = readme.split(START);
    const after = rest?.split(END)[1];
    if (before === undefined || after === undefined) {
      console.log(`test:durations: ${README} has no ${START} ... ${END} block; table not written`);
      return;
    }
    writeFileSync(README, `${before}${START}\n${table}\n${END}${after}`);
    console.log(`test:durations: wrote ${relative(root, DURATIONS_FILE)} and the table in test/README.md`);
  }
}
