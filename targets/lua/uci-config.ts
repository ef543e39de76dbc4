// One router's /etc/config/roost-agent, filled in (the package's template, procd.ts, is
// off until someone does this by hand): what `roost provision` writes for an agent
// device of a fleet, and what the fleet file's agent section is checked by, with the
// agent's own rules (agent/config.ts) reading the text this writes. Each line knows the
// option it came from, so a problem the agent finds on a line can be reported at the
// fleet file's key for that option.
import { AGENT_INIT, AGENT_UCI } from './procd.ts'

export interface AgentUciSettings {
  // HOST:PORT of the node's lan-ingest role.
  node: string
  // 16 and 64 lower-case hex characters.
  id: string
  key: string
  queue: string
  queueMaxKb: number
  interval: number
  statsInterval: number
  broker?: string
  username?: string
  password?: string
  clientId?: string
  subscribe: readonly string[]
  // 'TOPIC=PATH' and 'TOPIC=COMMAND'.
  file: readonly string[]
  command: readonly string[]
}

// The agent's defaults (agent/config.ts), written out so that the file says what runs.
export const AGENT_UCI_DEFAULTS = { queueMaxKb: 256, interval: 30, statsInterval: 300 } as const

// The UCI option a line holds, and for a list its index among that list's values.
export interface UciLineSource { option: string, index: number | null }

export interface AgentUci {
  text: string
  // By 1-based line number; lines without an option (comments, config) are absent.
  sources: Map<number, UciLineSource>
}

// `comment`: lines put first, after '# ' (who wrote the file, for which device).
export function agentUciConfig (settings: AgentUciSettings, comment: readonly string[] = []): AgentUci {
  const lines: string[] = [
    ...comment.map((line) => `# ${line}`),
    `# Read by ${AGENT_INIT}; goes to ${AGENT_UCI}, mode 0600: it holds the device key.`,
    "config agent 'main'"
  ]
  const sources = new Map<number, UciLineSource>()
  const add = (keyword: 'option' | 'list', option: string, value: string, index: number | null = null): void => {
    lines.push(`\t${keyword} ${option} ${uciQuote(value)}`)
    sources.set(lines.length, { option, index })
  }
  add('option', 'enabled', '1')
  add('option', 'node', settings.node)
  add('option', 'id', settings.id)
  add('option', 'key', settings.key)
  add('option', 'queue', settings.queue)
  add('option', 'queue_max_kb', String(settings.queueMaxKb))
  add('option', 'interval', String(settings.interval))
  add('option', 'stats_interval', String(settings.statsInterval))
  if (settings.broker !== undefined) add('option', 'broker', settings.broker)
  if (settings.username !== undefined) add('option', 'username', settings.username)
  if (settings.password !== undefined) add('option', 'password', settings.password)
  if (settings.clientId !== undefined) add('option', 'client_id', settings.clientId)
  settings.subscribe.forEach((value, i) => add('list', 'subscribe', value, i))
  settings.file.forEach((value, i) => add('list', 'file', value, i))
  settings.command.forEach((value, i) => add('list', 'command', value, i))
  return { text: lines.join('\n') + '\n', sources }
}

// Single quotes take everything as it is but a single quote, which UCI writes as
// 'it'\''s' (the pieces are joined). A value is one line: the callers refuse newlines.
export function uciQuote (value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}
