// The agent's settings from its UCI file (/etc/config/roost-agent), checked as a whole
// before the agent sends anything: every problem names the line and the option as the
// user wrote it. The device key is never echoed in a problem.
import { type Bytes } from './bytes.ts'
import { parseHex, parseWhole } from './text.ts'
import { parseUci, type UciOption, type UciProblem, type UciSection } from './uci.ts'

export interface Sensor {
  topic: string
  // A file's path, or a shell command.
  source: string
}

export interface BrokerConfig {
  host: string
  port: number
  clientId: string
  username: string | undefined
  password: string | undefined
  topics: string[]
}

export interface AgentConfig {
  nodeHost: string
  nodePort: number
  deviceId: Bytes
  key: Bytes
  queueDir: string
  queueMaxBytes: number
  intervalS: number
  statsIntervalS: number
  broker: BrokerConfig | undefined
  files: Sensor[]
  commands: Sensor[]
}

export type ConfigResult = { ok: true, config: AgentConfig } | { ok: false, problems: UciProblem[] }

export const DEFAULT_QUEUE_DIR = '/etc/roost/queue'
const SINGLE = ['enabled', 'node', 'id', 'key', 'queue', 'queue_max_kb', 'interval', 'stats_interval', 'broker', 'username', 'password', 'client_id']
const LISTS = ['subscribe', 'file', 'command']

interface Checker {
  section: UciSection
  problems: UciProblem[]
}

function find (c: Checker, name: string): UciOption | undefined {
  for (let i = 0; i < c.section.options.length; i++) {
    if (c.section.options[i].name === name) return c.section.options[i]
  }
  return undefined
}

function fail (c: Checker, option: UciOption | undefined, name: string, reason: string): void {
  const field = option === undefined ? `option ${name}` : `${option.isList ? 'list' : 'option'} ${name}`
  c.problems.push({ line: option === undefined ? c.section.line : option.line, field, reason })
}

function single (c: Checker, name: string): string | undefined {
  return find(c, name)?.values[0].value
}

function required (c: Checker, name: string, what: string): string | undefined {
  const value = single(c, name)
  if (value === undefined || value === '') fail(c, find(c, name), name, `missing: ${what}`)
  return value === '' ? undefined : value
}

function whole (c: Checker, name: string, fallback: number, min: number, max: number): number {
  const text = single(c, name)
  if (text === undefined) return fallback
  const value = parseWhole(text)
  if (value === undefined || value < min || value > max) {
    fail(c, find(c, name), name, `expected a whole number from ${min} to ${max}, got "${text}"`)
    return fallback
  }
  return value
}

// An MQTT topic name for a reading: no wildcards, no NUL, 1..1024 bytes (the wire format's
// bounds).
export function isTopicName (topic: string): boolean {
  if (topic.length === 0 || topic.length > 1024) return false
  return topic.indexOf('#') < 0 && topic.indexOf('+') < 0 && topic.indexOf('\0') < 0
}

// An MQTT topic filter: '+' alone in a level, '#' alone in the last one.
export function isTopicFilter (filter: string): boolean {
  if (filter.length === 0 || filter.length > 1024 || filter.indexOf('\0') >= 0) return false
  let start = 0
  while (true) {
    let end = filter.indexOf('/', start)
    const last = end < 0
    if (last) end = filter.length
    const level = filter.substring(start, end)
    const plus = level.indexOf('+')
    const hash = level.indexOf('#')
    if (plus >= 0 && level !== '+') return false
    if (hash >= 0 && (level !== '#' || !last)) return false
    if (last) return true
    start = end + 1
  }
}

function hostPort (text: string): { host: string, port: number } | undefined {
  const colon = text.indexOf(':')
  if (colon <= 0 || text.indexOf(':', colon + 1) >= 0) return undefined
  const port = parseWhole(text.substring(colon + 1))
  if (port === undefined || port < 1 || port > 65535) return undefined
  return { host: text.substring(0, colon), port }
}

function sensors (c: Checker, name: string, what: string): Sensor[] {
  const option = find(c, name)
  const out: Sensor[] = []
  if (option === undefined) return out
  for (let i = 0; i < option.values.length; i++) {
    const { value, line } = option.values[i]
    const equals = value.indexOf('=')
    const topic = equals < 0 ? '' : value.substring(0, equals)
    const source = equals < 0 ? '' : value.substring(equals + 1)
    if (!isTopicName(topic) || source === '') {
      c.problems.push({ line, field: `list ${name}`, reason: `expected 'TOPIC=${what}' with a topic without + or #, got '${value}'` })
    } else if (name === 'file' && source.charCodeAt(0) !== 47) {
      c.problems.push({ line, field: 'list file', reason: `expected an absolute path after the =, got '${source}'` })
    } else {
      out.push({ topic, source })
    }
  }
  return out
}

function broker (c: Checker, idHex: string | undefined): BrokerConfig | undefined {
  const url = single(c, 'broker')
  const topics: string[] = []
  const subscribe = find(c, 'subscribe')
  if (url === undefined) {
    for (const name of ['subscribe', 'username', 'password', 'client_id']) {
      if (find(c, name) !== undefined) fail(c, find(c, name), name, 'needs option broker (the MQTT broker to read)')
    }
    return undefined
  }
  if (url.indexOf('mqtts://') === 0) {
    fail(c, find(c, 'broker'), 'broker', 'TLS is not supported (LuaSocket has none): read the router\'s own broker, mqtt://127.0.0.1:1883')
    return undefined
  }
  const address = url.indexOf('mqtt://') === 0 ? url.substring(7) : ''
  const parsed = address.indexOf(':') < 0 && address !== '' ? { host: address, port: 1883 } : hostPort(address)
  if (parsed === undefined) fail(c, find(c, 'broker'), 'broker', `expected mqtt://HOST or mqtt://HOST:PORT, got '${url}'`)
  if (subscribe === undefined) fail(c, undefined, 'subscribe', 'missing: list subscribe \'TOPIC\' for each topic filter to read from the broker')
  for (let i = 0; subscribe !== undefined && i < subscribe.values.length; i++) {
    const { value, line } = subscribe.values[i]
    if (isTopicFilter(value)) topics.push(value)
    else c.problems.push({ line, field: 'list subscribe', reason: `expected an MQTT topic filter (+ and # each alone in a level, # last), got '${value}'` })
  }
  // Stable, so the broker keeps the session (and the QoS 1 readings) while the agent is away;
  // 22 characters, within the 23 every MQTT 3.1.1 broker must accept.
  const clientId = single(c, 'client_id') ?? `roost-${idHex === undefined ? 'agent' : idHex.toLowerCase()}`
  if (parsed === undefined) return undefined
  return { host: parsed.host, port: parsed.port, clientId, username: single(c, 'username'), password: single(c, 'password'), topics }
}

// Says what is wrong without repeating the value: the key is a secret.
function hexProblem (text: string, digits: number): string {
  return `expected ${digits} hex characters, got ${text.length === digits ? 'a character that is not hex' : `${text.length} characters`}`
}

// A loop rather than Array.indexOf, which would bring in lualib.
function listed (names: string[], name: string): boolean {
  for (let i = 0; i < names.length; i++) {
    if (names[i] === name) return true
  }
  return false
}

function checkNames (c: Checker): void {
  for (let i = 0; i < c.section.options.length; i++) {
    const option = c.section.options[i]
    const isSingle = listed(SINGLE, option.name)
    const isList = listed(LISTS, option.name)
    if (!isSingle && !isList) fail(c, option, option.name, `unknown (known: ${SINGLE.join(', ')}; lists: ${LISTS.join(', ')})`)
    else if (option.isList !== isList) fail(c, option, option.name, `expected ${isList ? 'list' : 'option'} ${option.name}`)
  }
}

function checkSection (c: Checker): AgentConfig | undefined {
  checkNames(c)
  const node = required(c, 'node', 'the roost node\'s address on the LAN, HOST:PORT')
  const address = node === undefined ? undefined : hostPort(node)
  if (node !== undefined && address === undefined) fail(c, find(c, 'node'), 'node', `expected HOST:PORT (port 1 to 65535), got '${node}'`)
  const idHex = required(c, 'id', 'the device id (16 hex characters) from `roost agent add NAME`')
  const deviceId = idHex === undefined ? undefined : parseHex(idHex, 8)
  if (idHex !== undefined && deviceId === undefined) fail(c, find(c, 'id'), 'id', hexProblem(idHex, 16))
  const keyHex = required(c, 'key', 'the device key (64 hex characters) from `roost agent add NAME`')
  const key = keyHex === undefined ? undefined : parseHex(keyHex, 32)
  if (keyHex !== undefined && key === undefined) fail(c, find(c, 'key'), 'key', hexProblem(keyHex, 64))
  const queueDir = single(c, 'queue') ?? DEFAULT_QUEUE_DIR
  if (queueDir.charCodeAt(0) !== 47) fail(c, find(c, 'queue'), 'queue', `expected an absolute folder path on flash, got '${queueDir}'`)
  const queueMaxKb = whole(c, 'queue_max_kb', 256, 16, 16384)
  const intervalS = whole(c, 'interval', 30, 1, 86400)
  const statsIntervalS = whole(c, 'stats_interval', 300, 1, 86400)
  const brokerConfig = broker(c, deviceId === undefined ? undefined : idHex)
  const files = sensors(c, 'file', 'PATH')
  const commands = sensors(c, 'command', 'COMMAND')
  if (single(c, 'broker') === undefined && find(c, 'file') === undefined && find(c, 'command') === undefined) {
    fail(c, undefined, 'broker', 'nothing to read: give option broker, list file or list command')
  }
  if (c.problems.length > 0 || address === undefined || deviceId === undefined || key === undefined) return undefined
  return {
    nodeHost: address.host,
    nodePort: address.port,
    deviceId,
    key,
    queueDir,
    queueMaxBytes: queueMaxKb * 1024,
    intervalS,
    statsIntervalS,
    broker: brokerConfig,
    files,
    commands
  }
}

// In line order, as the user reads the file (a stable insertion sort: no lualib).
function byLine (problems: UciProblem[]): UciProblem[] {
  for (let i = 1; i < problems.length; i++) {
    const problem = problems[i]
    let j = i - 1
    while (j >= 0 && problems[j].line > problem.line) {
      problems[j + 1] = problems[j]
      j--
    }
    problems[j + 1] = problem
  }
  return problems
}

export function readAgentConfig (text: string): ConfigResult {
  const file = parseUci(text)
  const problems = file.problems
  let agent: UciSection | undefined
  for (let i = 0; i < file.sections.length; i++) {
    const section = file.sections[i]
    if (section.type !== 'agent') {
      problems.push({ line: section.line, field: `config ${section.type}`, reason: 'unknown section type (expected config agent \'main\')' })
    } else if (agent !== undefined) {
      problems.push({ line: section.line, field: 'config agent', reason: `a second agent section (the first is on line ${agent.line})` })
    } else {
      agent = section
    }
  }
  if (agent === undefined) {
    if (problems.length === 0) problems.push({ line: 1, field: 'config agent', reason: 'missing: the file has no config agent \'main\' section' })
    return { ok: false, problems: byLine(problems) }
  }
  const config = checkSection({ section: agent, problems })
  return config === undefined || problems.length > 0 ? { ok: false, problems: byLine(problems) } : { ok: true, config }
}
