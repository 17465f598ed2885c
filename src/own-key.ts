/**
 * Names given by users (segments, metrics, schedules, a URL's path, a CLI argument) are
 * looked up in plain objects read from strata.yaml or JSON. `record[name]` would also find
 * what every object inherits: `toString`, `constructor`, `__proto__` name functions and
 * the prototype, so an unknown name would pass as a known one. These look at own keys only.
 */

/** `record[key]` if `record` has it as its own key, else undefined. */
export function ownValue<T>(
  record: Readonly<Record<string, T>> | null | undefined,
  key: string,
): T | undefined {
  return record !== null && record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether `record` has `key` as its own key (not one every object inherits). */
export function hasOwnKey(record: object | null | undefined, key: string): boolean {
  return record !== null && record !== undefined && Object.hasOwn(record, key);
}
