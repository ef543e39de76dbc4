// The `roost` command: dispatches to one module per command, prints `code: message`
// and a hint for any error, and a stack trace only with --debug.
import type { Command } from './args.ts'
import { CliError } from './errors.ts'
import { agent } from './commands/agent.ts'
import { backup } from './commands/backup.ts'
import { boards } from './commands/boards.ts'
import { bench } from './commands/bench.ts'
import { build } from './commands/build.ts'
import { demo } from './commands/demo.ts'
import { doctor } from './commands/doctor.ts'
import { deploy } from './commands/deploy.ts'
import { drop } from './commands/drop.ts'
import { feed } from './commands/feed.ts'
import { flash } from './commands/flash.ts'
import { fleet } from './commands/fleet.ts'
import { id } from './commands/id.ts'
import { invite } from './commands/invite.ts'
import { keep } from './commands/keep.ts'
import { pkg } from './commands/package.ts'
import { pair } from './commands/pair.ts'
import { provision } from './commands/provision.ts'
import { ping } from './commands/ping.ts'
import { restore } from './commands/restore.ts'
import { run } from './commands/run.ts'
import { status } from './commands/status.ts'
import { testnet } from './commands/testnet.ts'
import { trust } from './commands/trust.ts'

export const COMMANDS: Command[] = [boards, build, provision, flash, pkg, deploy, run, testnet, ping, status, doctor, fleet, feed, invite, pair, trust, agent, keep, drop, backup, restore, id, demo, bench]

export function overview (): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2
  return [
    'usage: roost COMMAND [options]        roost COMMAND --help for its options',
    '',
    'roost builds lean peer-to-peer home nodes for small boards and runs them.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    ''
  ].join('\n')
}

export async function main (argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  let command: Command | undefined
  try {
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(overview())
      return name === undefined ? 2 : 0
    }
    command = COMMANDS.find((c) => c.spec.name === name)
    if (!command) {
      throw CliError.UNKNOWN_COMMAND(name, COMMANDS.map((c) => c.spec.name))
    }
    return await command.run(rest)
  } catch (err) {
    const e = err as Error & { code?: string, hint?: string }
    if (debug || typeof e.code !== 'string') process.stderr.write((e.stack ?? String(e)) + '\n')
    else process.stderr.write(`${e.code}: ${e.message}\n`)
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`)
    return e.code === 'USAGE' ? command?.spec.usageExitCode ?? 1 : 1
  }
}
