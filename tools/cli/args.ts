// Flat, checked options at the CLI boundary: every flag is declared once with its
// type and help text; an unknown flag or a missing value is a usage error.
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
  summary: string
  usage: string
  flags: Record<string, FlagSpec>
  positionals?: number
}

export type ParsedFlags = Record<string, string | boolean | string[] | undefined>

export function usageError (command: string, message: string): CliError {
  return CliError.USAGE(command, message)
}

export function parseCommand (spec: CommandSpec, argv: string[]): { flags: ParsedFlags, positionals: string[], help: boolean } {
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
  return { flags: parsed.values as ParsedFlags, positionals: parsed.positionals, help }
}

export function formatHelp (spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const left = `  --${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`
    return [left, flag.help + (flag.multiple ? ' (repeatable)' : '')]
  })
  rows.push(['  --help', 'show this help'])
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  return [`usage: ${spec.usage}`, '', spec.summary, '', 'options:', ...rows.map(([l, r]) => l.padEnd(width) + r)].join('\n') + '\n'
}

export function stringFlag (flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}

export function listFlag (flags: ParsedFlags, name: string): string[] {
  const value = flags[name]
  return Array.isArray(value) ? value : []
}

export function intFlag (command: string, flags: ParsedFlags, name: string, fallback: number, min: number, max: number): number {
  const value = stringFlag(flags, name)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usageError(command, `--${name} must be a whole number from ${min} to ${max}, got "${value}"`)
  }
  return Number(value)
}
