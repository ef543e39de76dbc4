// Flat, checked options at the CLI boundary: every flag is declared once with its type
// and help text, and a command's handler gets its flags typed from that declaration.
// An unknown flag or a missing value is a usage error.
import { parseArgs } from 'node:util'
import { CliError } from './errors.ts'

export interface FlagSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  help: string
  value?: string
}

export interface CommandSpec {
  name: string
  // One sentence, shown whole by `roost --help`.
  summary: string
  // More, shown after the summary by `roost NAME --help`.
  details?: string
  usage: string
  flags: Record<string, FlagSpec>
  positionals?: number
  // The exit code of a usage mistake, for a command whose exit code 1 means a result
  // (some devices down, say); 1 otherwise, like every other failure.
  usageExitCode?: number
}

type FlagValue<F extends FlagSpec> =
  F['type'] extends 'boolean' ? boolean : F['multiple'] extends true ? string[] : string

// The flags a command was given, typed from its spec: `--peer KEY` is `flags.peer: string`.
export type Flags<S extends CommandSpec> = { [K in keyof S['flags']]?: FlagValue<S['flags'][K]> }

export interface Command {
  spec: CommandSpec
  run (argv: string[]): Promise<number>
}

// A command whose handler gets the flags its spec declares, checked and typed.
export function defineCommand<const S extends CommandSpec> (spec: S, run: (flags: Flags<S>, positionals: string[]) => Promise<number>): Command {
  return {
    spec,
    run (argv) {
      const { flags, positionals, help } = parseCommand(spec, argv)
      if (help) {
        process.stdout.write(formatHelp(spec))
        return Promise.resolve(0)
      }
      return run(flags as Flags<S>, positionals)
    }
  }
}

export function usageError (command: string, message: string): CliError {
  return CliError.USAGE(command, message)
}

function parseCommand (spec: CommandSpec, argv: string[]): { flags: Record<string, unknown>, positionals: string[], help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean', multiple?: boolean }> = { help: { type: 'boolean' }, debug: { type: 'boolean' } }
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = flag.multiple ? { type: flag.type, multiple: true } : { type: flag.type }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageError(spec.name, (err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''))
  }
  const help = parsed.values.help === true
  const max = spec.positionals ?? 0
  if (!help && parsed.positionals.length > max) {
    throw usageError(spec.name, `unexpected argument "${parsed.positionals[max]}"`)
  }
  return { flags: parsed.values, positionals: parsed.positionals, help }
}

export function formatHelp (spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const left = `  --${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`
    return [left, flag.help + (flag.multiple ? ' (repeatable)' : '')]
  })
  rows.push(['  --help', 'show this help'])
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  const about = spec.details === undefined ? [spec.summary] : [spec.summary, spec.details]
  return [`usage: ${spec.usage}`, '', ...about, '', 'options:', ...rows.map(([l, r]) => l.padEnd(width) + r)].join('\n') + '\n'
}

export function intFlag (command: string, name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usageError(command, `--${name} must be a whole number from ${min} to ${max}, got "${value}"`)
  }
  return Number(value)
}
