import { type GenerateOptions, generateWorld, type WorldSummary } from '../../demo/generate-world.js';
import { durationWords } from '../../format/words.js';
import type { GenerateInput } from '../commands/generate.js';
import { formatTable, type Output } from '../output.js';
import { createProgress } from '../progress.js';

/** Generates a world with a progress bar; shared by `generate` and `demo`. */
export async function generateWithProgress(
  options: Omit<GenerateOptions, 'onProgress'>,
  output: Output,
): Promise<WorldSummary> {
  const progress = createProgress(`generate ${options.scale}`, !output.json);
  try {
    return await generateWorld({
      ...options,
      onProgress: (done, total, phase) => progress.update(done / total, phase),
    });
  } finally {
    progress.stop();
  }
}

/** Renders the files of a generated world. */
export function renderWorld(world: WorldSummary): string {
  return formatTable(
    ['table', 'rows', 'file'],
    Object.entries(world.files).map(([table, file]) => [
      table,
      world.rows[table as keyof typeof world.rows],
      file,
    ]),
  );
}

/** `strata generate --scale S|M|L [--accounts N] --seed N --out DIR`. */
export async function runGenerate(options: GenerateInput, output: Output) {
  const started = performance.now();
  const { accounts } = options;
  const world = await generateWithProgress(
    {
      scale: options.scale,
      seed: options.seed,
      outDir: options.out,
      ...(accounts !== undefined ? { accounts } : {}),
    },
    output,
  );
  const seconds = (performance.now() - started) / 1000;
  output.result({ ...world, seconds }, () =>
    [
      `generated a ${world.scale} world (seed ${world.seed}) in ${world.outDir} in ${durationWords(seconds)}`,
      `${world.startDate.slice(0, 10)} to ${world.endDate.slice(0, 10)}; ground truth in ${world.groundTruthFile}`,
      '',
      renderWorld(world),
    ].join('\n'),
  );
}
