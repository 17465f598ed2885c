import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { StrataError } from '../errors.js';
import { isRelayed, setExitCode } from './cli-streams.js';
import type { OptionKit } from './option-kit.js';
import { createOutput, type Output, reportError } from './output.js';

/**
 * The command registry: each commands/<name>.ts declares a command (words, help, arguments,
 * options and a schema for them) and its action; `addCommand` makes it a commander command.
 * Declarations stay light (help needs nothing else): the schema is built, and the action's
 * module imported, only when the command runs.
 */

/** An option as commander shows and reads it. */
export interface OptionDeclaration {
  /** `--limit <n>`, `--id <id...>`, `--dry-run`. */
  readonly flags: string;
  readonly description: string;
  /** Shown in the help and given to the schema when the option is absent. */
  readonly default?: string;
  /** A file or folder: resolved against the CLI's folder when `strata serve` runs the command. */
  readonly path?: true;
  /** Commander itself refuses other values (and lists them in the help). */
  readonly choices?: readonly string[];
  readonly required?: true;
  /** May be given more than once; the values are kept in order. */
  readonly repeatable?: true;
}

/** A positional argument: `<id>` (required) or `[file]` (optional); its value is keyed by its name. */
export interface ArgumentDeclaration {
  readonly name: string;
  readonly description?: string;
  readonly path?: true;
}

/** What a schema function returns: a reader per argument and option, by commander's key (`asOf`). */
export type InputShape = Record<string, z.ZodType>;

/** What an action receives: the schema's output and the workspace folder (-w). */
export type CommandInput<Shape extends InputShape> = z.output<z.ZodObject<Shape>> & {
  readonly workspace: string;
};

export interface CommandDeclaration<Shape extends InputShape = InputShape> {
  /** The words after `strata`: `status`, `segments members`. */
  readonly name: string;
  readonly description: string;
  readonly arguments?: readonly ArgumentDeclaration[];
  readonly options?: readonly OptionDeclaration[];
  /** Readers of the arguments and options (from option-kit.ts), applied once before the action. */
  schema(kit: OptionKit): Shape;
  /** The work: imports its module when called, so other commands never load it. */
  run(input: CommandInput<Shape>, output: Output): Promise<unknown> | unknown;
}

/** A command that only groups others (`segments`, `analyze`). */
export interface GroupDeclaration {
  readonly group: string;
  readonly description: string;
}

/** A declaration, typed by its schema (the action's input follows from it). */
export function defineCommand<Shape extends InputShape>(
  declaration: CommandDeclaration<Shape>,
): CommandDeclaration<Shape> {
  return declaration;
}

/** The global options every command sees (program.ts). */
interface GlobalOptions {
  workspace: string;
  json?: boolean;
  debug?: boolean;
}

/** Commander's key of an option: `--as-of <time>` is `asOf`, `-w, --workspace` is `workspace`. */
function keyOf(flags: string): string {
  const long = /--([a-z0-9-]+)/i.exec(flags)?.[1] ?? flags;
  return long.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The name of an argument without its brackets: `<id>` is `id`. */
const argumentKey = (name: string) => name.replace(/[<>[\].]/g, '');

/** The keys a command's schema must read: its arguments' names and its options' keys. */
export function inputKeys(declaration: CommandDeclaration): string[] {
  return [
    ...(declaration.arguments ?? []).map((a) => argumentKey(a.name)),
    ...(declaration.options ?? []).map((o) => keyOf(o.flags)),
  ];
}

/** Arguments and options as the schema reads them, then the action; errors become exit codes. */
async function perform(declaration: CommandDeclaration, command: Command, path: string): Promise<void> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const output = createOutput(globals);
  try {
    // While `strata serve` holds the workspace's store, the server runs the command instead.
    if (!isRelayed()) {
      const { relayToServer } = await import('./relay-client.js');
      const relayed = await relayToServer(path, globals);
      if (relayed !== undefined) {
        setExitCode(relayed);
        return;
      }
    }
    const { kit } = await import('./option-kit.js');
    const raw: Record<string, unknown> = { ...command.opts() };
    (declaration.arguments ?? []).forEach((argument, i) => {
      raw[argumentKey(argument.name)] = command.processedArgs[i];
    });
    // An option the schema forgot would vanish here (zod drops unknown keys): the declarations'
    // test (test/cli-registry) checks that every schema reads exactly its command's input.
    const parsed = kit.z.object(declaration.schema(kit)).safeParse(raw);
    if (!parsed.success)
      throw new StrataError('invalid_argument', parsed.error.issues[0]?.message ?? 'invalid arguments');
    await declaration.run({ ...parsed.data, workspace: globals.workspace }, output);
  } catch (error) {
    setExitCode(reportError(error, output));
  }
}

/** Options and arguments collected: a repeated option's values in order. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Adds `declaration` under `parent` (a group's command is found by its word, so groups must
 * be added first). `path` resolves a file argument against the CLI's folder (program.ts).
 */
export function addCommand(
  parent: Command,
  declaration: CommandDeclaration | GroupDeclaration,
  path: (value: string) => string,
): void {
  const words = 'group' in declaration ? [declaration.group] : declaration.name.split(' ');
  let owner = parent;
  for (const word of words.slice(0, -1)) {
    const found = owner.commands.find((c) => c.name() === word);
    if (!found) throw new Error(`command group '${word}' is not declared before '${words.join(' ')}'`);
    owner = found;
  }
  const command = owner.command(words[words.length - 1] ?? '').description(declaration.description);
  if ('group' in declaration) return;
  for (const argument of declaration.arguments ?? []) {
    if (argument.path) command.argument(argument.name, argument.description ?? '', path);
    else command.argument(argument.name, argument.description ?? '');
  }
  for (const declared of declaration.options ?? []) {
    const option = new Option(declared.flags, declared.description);
    if (declared.repeatable)
      option.argParser(declared.path ? (v, p: string[]) => collect(path(v), p) : collect);
    else if (declared.path) option.argParser(path);
    if (declared.choices) option.choices(declared.choices);
    if (declared.default !== undefined) option.default(declared.default);
    if (declared.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  command.action(() => perform(declaration, command, words.join(' ')));
}
