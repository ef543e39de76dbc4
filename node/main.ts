// Entry point of the device bundle: `bare roost-node.cjs --config FILE [overrides]`.
// Exit codes: 0 after a clean shutdown, 1 for a startup error (logged as JSON).
import fs from '#fs'
import { platform } from '#platform'
import b4a from 'b4a'
import { parseBootstrap } from './config/bootstrap.ts'
import { checkNodeConfig } from './config/check.ts'
import type { NodeConfig } from './config/types.ts'
import { NodeError } from './errors.ts'
import { createLogger } from './log.ts'
import { createNode } from './node.ts'

// SIGTERM must end the process within 2 s even if the DHT is slow to unannounce.
const SHUTDOWN_DEADLINE_MS = 1500

// Logging never throws: with its reader gone (EPIPE), a line is dropped, and the node
// goes on serving and can still shut down. A throwing log in the SIGTERM handler once
// left nodes running for good after their parent died (measured).
const log = createLogger((line) => {
  try {
    platform.writeStdout(line)
  } catch {}
})

function readConfig (argv: string[]): NodeConfig {
  let configFile: string | null = null
  const overrides: { storage?: string, bootstrap: string[], host?: string } = { bootstrap: [] }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (value === undefined) throw NodeError.BAD_ARGUMENT(`${flag} needs a value`)
    if (flag === '--config') configFile = value
    else if (flag === '--storage') overrides.storage = value
    else if (flag === '--bootstrap') overrides.bootstrap.push(value)
    else if (flag === '--host') overrides.host = value
    else throw NodeError.BAD_ARGUMENT(`unknown argument ${flag}`, 'usage: --config FILE [--storage DIR] [--bootstrap HOST:PORT] [--host ADDRESS]')
    i++
  }
  if (configFile === null) throw NodeError.BAD_ARGUMENT('missing --config FILE')

  let raw: unknown
  try {
    raw = JSON.parse(b4a.toString(fs.readFileSync(configFile)))
  } catch (err) {
    throw NodeError.CONFIG_UNREADABLE(configFile, err)
  }
  const config = checkNodeConfig(raw)
  if (overrides.storage) config.dataDir = overrides.storage
  if (overrides.bootstrap.length > 0) config.bootstrap = overrides.bootstrap.map(parseBootstrap)
  if (overrides.host) config.host = overrides.host
  return config
}

// A bug must not die silently: log it as JSON for journald/logread, then exit non-zero
// so the init system restarts the node.
function fatal (err: unknown): void {
  const e = err as Error & { code?: string }
  log('fatal', { code: e?.code ?? 'UNCAUGHT', message: String(e?.message ?? err), stack: String(e?.stack ?? '') })
  platform.exit(1)
}
platform.onFatal(fatal)

async function main (): Promise<void> {
  let node: ReturnType<typeof createNode> | null = null
  let stopping = false
  // Handlers go in before anything starts: a signal during startup still closes
  // whatever was opened, rather than killing the process mid-write.
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    setTimeout(() => platform.exit(0), SHUTDOWN_DEADLINE_MS).unref()
    log('stopping', { signal })
    const closing = node ? node.close() : Promise.resolve()
    closing.then(() => platform.exit(0), (err: unknown) => {
      const e = NodeError.SHUTDOWN_FAILED(err)
      log('error', { code: e.code, message: e.message })
      platform.exit(0)
    })
  }
  platform.onSignal('SIGINT', () => stop('SIGINT'))
  platform.onSignal('SIGTERM', () => stop('SIGTERM'))

  try {
    node = createNode(readConfig(platform.argv), log)
    await node.ready()
  } catch (err) {
    if (stopping) return
    const e = err as NodeError
    log('error', { code: e.code ?? 'STARTUP_FAILED', message: e.message, hint: e.hint })
    platform.exit(1)
  }
}

main()
