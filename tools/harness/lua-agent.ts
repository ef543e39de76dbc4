// The Lua agent as a real lua5.3 process on this machine, for tests and measurements: its
// UCI config written from typed options, its event lines (`event=NAME key=value ...`)
// parsed as they come, and waits on them with deadlines.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { HarnessError } from './errors.ts'
import { stopProcess } from './mosquitto.ts'
import { processWaiter } from './process-waiter.ts'

export interface AgentSettings {
  nodePort: number
  deviceId: Buffer
  key: Buffer
  queueDir: string
  queueMaxKb?: number
  intervalS?: number
  statsIntervalS?: number
  broker?: string
  subscribe?: string[]
  // 'TOPIC=PATH' and 'TOPIC=COMMAND'
  files?: string[]
  commands?: string[]
}

export type AgentEvent = Record<string, string>

export interface AgentProcess {
  pid: number
  events: AgentEvent[]
  stderr: string[]
  // The first event from index `from` of `events` on (default: the first of all) that matches.
  waitForEvent (what: string, match: (event: AgentEvent) => boolean, timeoutMs?: number, from?: number): Promise<AgentEvent>
  // The counters of the latest stats line, as numbers.
  lastStats (): Record<string, number> | undefined
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  kill (signal: NodeJS.Signals): Promise<void>
  stop (): Promise<void>
}

const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`

export function agentConfigText (s: AgentSettings): string {
  const lines = [
    "config agent 'main'",
    `\toption node ${quote(`127.0.0.1:${s.nodePort}`)}`,
    `\toption id ${quote(s.deviceId.toString('hex'))}`,
    `\toption key ${quote(s.key.toString('hex'))}`,
    `\toption queue ${quote(s.queueDir)}`,
    `\toption queue_max_kb ${quote(String(s.queueMaxKb ?? 256))}`,
    `\toption interval ${quote(String(s.intervalS ?? 1))}`,
    `\toption stats_interval ${quote(String(s.statsIntervalS ?? 1))}`,
    ...(s.broker === undefined ? [] : [`\toption broker ${quote(s.broker)}`]),
    ...(s.subscribe ?? []).map((topic) => `\tlist subscribe ${quote(topic)}`),
    ...(s.files ?? []).map((file) => `\tlist file ${quote(file)}`),
    ...(s.commands ?? []).map((command) => `\tlist command ${quote(command)}`)
  ]
  return lines.join('\n') + '\n'
}

// Writes the config, mode 0600 as on the router.
export function writeAgentConfig (file: string, settings: AgentSettings): string {
  fs.writeFileSync(file, agentConfigText(settings), { mode: 0o600 })
  return file
}

export function parseEvent (line: string): AgentEvent | undefined {
  if (!line.startsWith('event=')) return undefined
  const event: AgentEvent = {}
  for (const match of line.matchAll(/([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = match[2]
    event[match[1]] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\n/g, '\n').replace(/\\(.)/g, '$1') : raw
  }
  return event
}

export function luaAvailable (): boolean {
  return spawnSync('lua5.3', ['-e', 'require("socket")']).status === 0
}

export function startLuaAgent (bundle: string, configFile: string): AgentProcess {
  if (!luaAvailable()) throw HarnessError.TOOL_MISSING('lua5.3 with LuaSocket', 'lua5.3 and lua-socket')
  const child = spawn('lua5.3', [bundle, configFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(configFile) })
  const events: AgentEvent[] = []
  const stdout: string[] = []
  const stderr: string[] = []
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  const waiter = processWaiter('the Lua agent', gone, () => `its last lines: ${[...stdout.slice(-8), ...stderr.slice(-8)].join(' | ')}`)
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line)
    const event = parseEvent(line)
    if (event !== undefined) events.push(event)
    waiter.wake()
  })
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line)
    waiter.wake()
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      waiter.wake()
      resolve({ code, signal })
    })
  })
  return {
    pid: child.pid!,
    events,
    stderr,
    waitForEvent: (what, match, timeoutMs = 20_000, from = 0) => waiter.until(() => events.slice(from).find(match), what, timeoutMs),
    lastStats () {
      const stats = events.filter((event) => event.event === 'stats').at(-1)
      if (stats === undefined) return undefined
      return Object.fromEntries(Object.entries(stats).map(([key, value]) => [key, Number(value)]))
    },
    exited,
    async kill (signal) {
      if (gone()) return
      child.kill(signal)
      await exited
    },
    stop: () => stopProcess(child)
  }
}
