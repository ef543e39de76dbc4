// The `roost` command: dispatches to one module per command, prints `code: message`
// and a hint for any error, and a stack trace only with --debug.
import { formatHelp, parseCommand, type CommandSpec, type ParsedFlags } from './args.ts'
import { CliError } from './errors.ts'
import * as backup from './commands/backup.ts'
import * as boards from './commands/boards.ts'
import * as bench from './commands/bench.ts'
import * as build from './commands/build.ts'
import * as demo from './commands/demo.ts'
import * as drop from './commands/drop.ts'
import * as feed from './commands/feed.ts'
import * as id from './commands/id.ts'
import * as invite from './commands/invite.ts'
import * as keep from './commands/keep.ts'
import * as pair from './commands/pair.ts'
import * as ping from './commands/ping.ts'
import * as restore from './commands/restore.ts'
import * as run from './commands/run.ts'
import * as status from './commands/status.ts'
import * as testnet from './commands/testnet.ts'
import * as trust from './commands/trust.ts'

interface Command {
  spec: CommandSpec
  run (flags: ParsedFlags, positionals: string[]): Promise<number>
}

const COMMANDS: Command[] = [boards, build, run, testnet, ping, status, feed, invite, pair, trust, keep, drop, backup, restore, id, demo, bench]

function overview (): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2
  return [
    'usage: roost COMMAND [options]        roost COMMAND --help for its options',
    '',
    'roost builds lean peer-to-peer home nodes for small boards and runs them.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary.split('\n')[0]}`),
    ''
  ].join('\n')
}

export async function main (argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  try {
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(overview())
      return name === undefined ? 2 : 0
    }
    const command = COMMANDS.find((c) => c.spec.name === name)
    if (!command) {
      throw CliError.UNKNOWN_COMMAND(name, COMMANDS.map((c) => c.spec.name))
    }
    const { flags, positionals, help } = parseCommand(command.spec, rest)
    if (help) {
      process.stdout.write(formatHelp(command.spec))
      return 0
    }
    return await command.run(flags, positionals)
  } catch (err) {
    const e = err as Error & { code?: string, hint?: string }
    if (debug || typeof e.code !== 'string') process.stderr.write((e.stack ?? String(e)) + '\n')
    else process.stderr.write(`${e.code}: ${e.message}\n`)
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`)
    return 1
  }
}
