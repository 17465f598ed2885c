import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import { didYouMean, type ErrorLocation, StrataError } from '../errors.js';
import { undeclaredMetric, unknownMetricMessage } from '../language/metric-names.js';
import { hasOwnKey } from '../own-key.js';
import type { WorkspaceFile } from './workspace-schema.js';

type Locate = (path: readonly (string | number)[]) => ErrorLocation;

// cron-parser (with luxon) takes ~35 ms to load, which every command would pay at start-up for a
// workspace with no schedules: it is required (synchronously, as loading strata.yaml is) only
// when there is a cron expression to read.
const require = createRequire(import.meta.url);

/**
 * The names strata.yaml refers to outside the language: segments of schemes, playbooks and
 * triggers, triggers and schedules of webhooks; an unknown one is an error at its path.
 */
export function checkReferences(config: WorkspaceFile, locate: Locate): void {
  const segmentIds = Object.keys(config.segments);
  const checkSegment = (id: string, path: (string | number)[]) => {
    if (!hasOwnKey(config.segments, id)) {
      throw new StrataError('unknown_segment', `unknown segment '${id}'${didYouMean(id, segmentIds)}`, {
        ...locate(path),
        path: path.join('.'),
      });
    }
  };
  for (const [scheme, { order }] of Object.entries(config.schemes)) {
    order.forEach((id, i) => {
      checkSegment(id, ['schemes', scheme, 'order', i]);
    });
  }
  for (const id of Object.keys(config.playbooks ?? {})) checkSegment(id, ['playbooks', id]);
  for (const [name, trigger] of Object.entries(config.triggers))
    trigger.segments.forEach((id, i) => {
      checkSegment(id, ['triggers', name, 'segments', i]);
    });
  const checkName = (kind: 'triggers' | 'schedules', name: string, path: (string | number)[]) => {
    const known = Object.keys(config[kind]);
    if (!known.includes(name))
      throw new StrataError(
        `unknown_${kind.slice(0, -1)}`,
        `unknown ${kind.slice(0, -1)} '${name}'${didYouMean(name, known)}`,
        { ...locate(path), path: path.join('.') },
      );
  };
  checkDestinations(config, locate, checkSegment);
  for (const [name, webhook] of Object.entries(config.webhooks)) {
    webhook.triggers.forEach((trigger, i) => {
      checkName('triggers', trigger, ['webhooks', name, 'triggers', i]);
    });
    webhook.schedules.forEach((schedule, i) => {
      checkName('schedules', schedule, ['webhooks', name, 'schedules', i]);
    });
  }
}

/** The segments, schemes and metrics each destination's fields name. */
function checkDestinations(
  config: WorkspaceFile,
  locate: Locate,
  checkSegment: (id: string, path: (string | number)[]) => void,
): void {
  for (const [name, destination] of Object.entries(config.destinations)) {
    // Real time follows the triggers: without one it would never sync.
    if (destination.sync === 'realtime' && Object.keys(config.triggers).length === 0)
      throw new StrataError(
        'realtime_without_triggers',
        `destination '${name}': sync: realtime writes an account when a trigger sees it enter or leave a segment, and strata.yaml declares no triggers (add one, or use sync: schedule)`,
        { ...locate(['destinations', name, 'sync']), path: `destinations.${name}.sync` },
      );
    for (const [property, value] of Object.entries(destination.fields)) {
      const path = ['destinations', name, 'fields', property];
      if (typeof value === 'string') continue;
      if ('segment' in value) checkSegment(value.segment, [...path, 'segment']);
      const at = (kind: string) => ({ ...locate([...path, kind]), path: [...path, kind].join('.') });
      if ('scheme' in value && !hasOwnKey(config.schemes, value.scheme)) {
        const known = Object.keys(config.schemes);
        throw new StrataError(
          'unknown_scheme',
          `unknown scheme '${value.scheme}'${didYouMean(value.scheme, known)}`,
          at('scheme'),
        );
      }
      if ('metric' in value && !hasOwnKey(config.metrics, value.metric) && !undeclaredMetric(value.metric))
        throw new StrataError(
          'unknown_metric',
          unknownMetricMessage(value.metric, Object.keys(config.metrics)),
          at('metric'),
        );
    }
  }
}

/** Each schedule's cron expression, read as cron-parser reads it (UTC). */
export function checkSchedules(config: WorkspaceFile, locate: Locate): void {
  for (const [name, schedule] of Object.entries(config.schedules)) {
    const { CronExpressionParser } = require('cron-parser') as typeof CronParser;
    try {
      CronExpressionParser.parse(schedule.cron, { tz: 'UTC' });
    } catch (error) {
      throw new StrataError(
        'invalid_cron',
        `schedule '${name}': cron "${schedule.cron}": ${(error as Error).message}`,
        { ...locate(['schedules', name, 'cron']), path: `schedules.${name}.cron` },
      );
    }
    const sources = Object.keys(config.sources);
    if (Array.isArray(schedule.import))
      schedule.import.forEach((source, i) => {
        if (!sources.includes(source))
          throw new StrataError(
            'unknown_source',
            `schedule '${name}': unknown source '${source}'${didYouMean(source, sources)} (sources: ${sources.join(', ') || 'none'})`,
            { ...locate(['schedules', name, 'import', i]), path: `schedules.${name}.import.${i}` },
          );
      });
  }
}
