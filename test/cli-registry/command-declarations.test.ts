import { describe, expect, it } from 'vitest';
import { segmentsMembers } from '../../src/cli/commands/segments.js';
import { kit } from '../../src/cli/option-kit.js';
import { COMMANDS } from '../../src/cli/program.js';
import { type CommandDeclaration, inputKeys } from '../../src/cli/registry.js';

/*
 * The registry parses each command's input with its declaration's schema, and zod drops keys a
 * schema does not name: an option whose reader is forgotten would vanish without an error.
 * So every schema must read exactly its command's arguments and options, and accept the
 * defaults its help shows.
 */

const declarations = COMMANDS.filter((d): d is CommandDeclaration => 'name' in d);

describe('command declarations', () => {
  it.each(declarations.map((d) => [d.name, d] as const))(
    '%s: the schema reads every argument and option',
    (_, d) => {
      expect(Object.keys(d.schema(kit)).sort()).toEqual(inputKeys(d).sort());
    },
  );

  it.each(declarations.map((d) => [d.name, d] as const))('%s: the schema accepts the defaults', (_, d) => {
    const raw: Record<string, unknown> = {};
    const keys = inputKeys(d);
    (d.options ?? []).forEach((option, i) => {
      const key = keys[(d.arguments?.length ?? 0) + i] ?? '';
      if (option.default !== undefined) raw[key] = option.default;
      else if (option.required) raw[key] = 'write';
    });
    (d.arguments ?? []).forEach((argument, i) => {
      if (argument.name.startsWith('<')) raw[keys[i] ?? ''] = 'x';
    });
    expect(kit.z.object(d.schema(kit)).safeParse(raw).error?.issues).toBeUndefined();
  });

  it('reads numbers, times and lists once, with the words of the old parsers', () => {
    const members = kit.z.object(segmentsMembers.schema(kit));
    expect(members.parse({ id: 'at_risk', limit: '3', offset: '0', run: '2' })).toEqual({
      id: 'at_risk',
      limit: 3,
      offset: 0,
      run: 2,
    });
    expect(members.safeParse({ id: 'a', limit: 'x', offset: '0' }).error?.issues[0]?.message).toBe(
      '--limit x: expected a whole number >= 0',
    );
    expect(members.safeParse({ id: 'a', limit: '1', offset: '0', run: '0' }).error?.issues[0]?.message).toBe(
      '--run 0: expected a whole number >= 1',
    );
    // UTC without an offset; February 30 is refused rather than rolled into March.
    expect(kit.time('--as-of').parse('2024-05-01')).toEqual(new Date('2024-05-01T00:00:00Z'));
    expect(kit.time('--as-of').safeParse('2024-02-30').error?.issues[0]?.message).toMatch(
      /^--as-of 2024-02-30: /,
    );
    expect(kit.window('--within').parse('2w')).toBe(14);
    expect(kit.list().parse(' a, ,b ')).toEqual(['a', 'b']);
  });
});
