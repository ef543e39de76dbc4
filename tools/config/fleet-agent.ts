// The agent devices of a fleet file: routers that run the Lua agent, each naming the node
// of the same fleet that takes its readings and what it reads. Checked after every device
// has been checked on its own, since an agent's node may come later in the file:
//
//   - name: attic-router
//     board: tplink-archer-c7-v5
//     agent:
//       node: hub                          a device of this fleet with the lan-ingest role
//       broker: mqtt://127.0.0.1:1883      the router's own broker (optional), and
//       subscribe: ['home/#']              the topic filters it reads there
//       file: ['router/temp=/sys/class/thermal/thermal_zone0/temp']      TOPIC=PATH
//       command: ['router/load=cut -d" " -f1 /proc/loadavg']             TOPIC=COMMAND
//       interval: 30                       and stats_interval, queue, queue_max_kb,
//       rules: [{ filter: '#', feed: attic-router, decoder: json }]      username, ...
//
// The keys are the agent's UCI options (/etc/config/roost-agent), and they are checked by
// the agent's own rules: the section is written out as that file and read back with
// targets/lua/agent/config.ts, and a problem on a line is reported at the key that wrote
// it. `rules` are the node's mapping rules for the agent's topics (default: everything to
// a feed named after the device, as `roost agent add` does), checked with the node's.
import net from 'node:net'
import { z } from 'zod'
import { checkRules, type MappingRule } from '../../node/bridge/rules.ts'
import { lanIngestProblems } from '../../node/config/lan-ingest-rules.ts'
import { LAN_INGEST_DEFAULTS, type LanDevice, type NodeConfigFile } from '../../node/config/types.ts'
import { readAgentConfig } from '../../targets/lua/agent/config.ts'
import { agentQueueDir } from '../../targets/lua/procd.ts'
import { AGENT_UCI_DEFAULTS, agentUciConfig, type AgentUciSettings } from '../../targets/lua/uci-config.ts'
import type { Board } from './boards.ts'
import { YAML_WORDS } from './node-keys.ts'
import { ruleSchema, type ConfigIssue } from './node-config.ts'

const oneLine = z.string()
export const agentFields = z.strictObject({
  node: z.string(),
  broker: oneLine.min(1).optional(),
  username: oneLine.min(1).optional(),
  password: oneLine.optional(),
  client_id: oneLine.min(1).optional(),
  subscribe: z.array(oneLine).optional(),
  file: z.array(oneLine).optional(),
  command: z.array(oneLine).optional(),
  interval: z.number().int().optional(),
  stats_interval: z.number().int().optional(),
  queue: oneLine.min(1).optional(),
  queue_max_kb: z.number().int().optional(),
  rules: z.array(ruleSchema).min(1).optional()
})

export type AgentYaml = z.infer<typeof agentFields>

// What the agent reads and where it sends: everything of its UCI file but its id and key,
// which `roost provision` makes and keeps.
export type AgentSettings = Omit<AgentUciSettings, 'id' | 'key'>

export interface FleetAgent {
  // The node device's name.
  node: string
  settings: AgentSettings
  // The node's mapping rules for this agent's topics.
  rules: MappingRule[]
}

// A device as checked on its own: its agent section still to be checked against its node.
export interface CheckedDevice {
  index: number
  name: string
  board: Board
  // Null for an agent, and for a node whose own config has problems (reported already).
  config: NodeConfigFile | null
  address: string | null
  agentYaml: AgentYaml | null
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

// `address`: how the LAN reaches a device (its agents, and you over SSH).
export function addressProblem (address: string): string | null {
  if (net.isIPv4(address)) return null
  if (/^[\d.]+$/.test(address) || !HOST_NAME.test(address)) return 'expected an IPv4 address (192.168.1.2) or a host name the LAN resolves (hub.lan)'
  return null
}

// The address and UDP port an agent sends to: the node's `address`, else the address its
// lan-ingest role listens on, else the one its DHT binds to; null when none says it.
export function nodeLanAddress (node: Pick<CheckedDevice, 'address' | 'config'>): string | null {
  const port = node.config?.lanIngest?.port ?? LAN_INGEST_DEFAULTS.port
  const listening = node.config?.lanIngest?.host
  const dhtHost = node.config?.host ?? null
  const address = node.address ??
    (listening !== undefined && listening !== LAN_INGEST_DEFAULTS.host ? listening : null) ??
    (dhtHost !== null && net.isIPv4(dhtHost) && dhtHost !== '0.0.0.0' ? dhtHost : null)
  return address === null ? null : `${address}:${port}`
}

export function defaultAgentRules (name: string): MappingRule[] {
  return [{ filter: '#', feed: name, decoder: 'json' }]
}

type Report = (issue: ConfigIssue) => void

function issue (path: PropertyKey[], message: string, hint?: string): ConfigIssue {
  return { code: 'custom', path, message, params: { hint, got: false } }
}

// Placeholders for what provisioning makes, so that the agent's rules can read the file.
const PLACEHOLDER_ID = '0'.repeat(16)
const PLACEHOLDER_KEY = '0'.repeat(64)
const PLACEHOLDER_NODE = `192.0.2.1:${LAN_INGEST_DEFAULTS.port}`

// Every agent device against the devices of the fleet; each problem at the key the file
// wrote. Returns the agents of the devices without problems, by index.
export function checkAgents (devices: ReadonlyArray<CheckedDevice | null>, report: Report): Map<number, FleetAgent> {
  const byName = new Map<string, CheckedDevice>()
  for (const d of devices) if (d !== null && !byName.has(d.name)) byName.set(d.name, d)
  const agents = new Map<number, FleetAgent>()
  // Per node, its agents in file order: their names and feeds are checked together.
  const perNode = new Map<string, Array<{ device: CheckedDevice, rules: MappingRule[] }>>()
  for (const device of devices) {
    if (device === null || device.agentYaml === null) continue
    const at = ['devices', device.index, 'agent']
    let ok = true
    const fail = (path: PropertyKey[], message: string, hint?: string): void => { ok = false; report(issue([...at, ...path], message, hint)) }
    const yaml = device.agentYaml
    const node = byName.get(yaml.node)
    let nodeAddress: string | null = null
    if (node === undefined) {
      const takers = devices.filter((d) => d?.config?.roles.includes('lan-ingest') === true).map((d) => d!.name)
      fail(['node'], `no device named "${yaml.node}" in this fleet (devices with the lan-ingest role: ${takers.join(', ') || 'none'})`,
        takers.length > 0 ? 'name one of them' : 'add a node device with roles: [lan-ingest] and a lan_ingest section, and name it here')
    } else if (node.board.program === 'lua-agent') {
      fail(['node'], `device "${node.name}" is a ${node.board.id}, which runs the Lua agent itself and takes no readings`,
        'name a device that runs the node (a Bare board) with the lan-ingest role')
    } else if (node.config !== null && !node.config.roles.includes('lan-ingest')) {
      fail(['node'], `device "${node.name}" does not have the lan-ingest role (its roles: ${node.config.roles.join(', ') || 'none'})`,
        `add lan-ingest to the roles of ${node.name} and a lan_ingest section (lan_ingest: {} listens on UDP port ${LAN_INGEST_DEFAULTS.port})`)
    } else if (node.config !== null) {
      nodeAddress = nodeLanAddress(node)
      if (nodeAddress === null) {
        fail(['node'], `the address the agent reaches node "${node.name}" by is not known`,
          `add address: its LAN address (like 192.168.1.2) to device ${node.name}, or listen on that address with lan_ingest: { host: ... }`)
      }
    }
    const settings = agentSettings(yaml, device.board, nodeAddress ?? PLACEHOLDER_NODE)
    if (!checkAgentOptions(settings, yaml, at, report)) ok = false
    const rules = yaml.rules ?? defaultAgentRules(device.name)
    for (const problem of checkRules(rules)) report(ruleIssue(device, problem.index, problem.field, problem.reason))
    if (node?.config != null && node.config.roles.includes('lan-ingest')) {
      const list = perNode.get(node.name) ?? []
      list.push({ device, rules })
      perNode.set(node.name, list)
    }
    if (ok && nodeAddress !== null) agents.set(device.index, { node: yaml.node, settings: { ...settings, node: nodeAddress }, rules })
  }
  for (const [nodeName, list] of perNode) {
    for (const index of nodeProblems(byName.get(nodeName)!.config!, nodeName, list, report)) agents.delete(index)
  }
  return agents
}

function agentSettings (yaml: AgentYaml, board: Board, node: string): AgentSettings {
  return {
    node,
    queue: yaml.queue ?? agentQueueDir(board),
    queueMaxKb: yaml.queue_max_kb ?? AGENT_UCI_DEFAULTS.queueMaxKb,
    interval: yaml.interval ?? AGENT_UCI_DEFAULTS.interval,
    statsInterval: yaml.stats_interval ?? AGENT_UCI_DEFAULTS.statsInterval,
    broker: yaml.broker,
    username: yaml.username,
    password: yaml.password,
    clientId: yaml.client_id,
    subscribe: yaml.subscribe ?? [],
    file: yaml.file ?? [],
    command: yaml.command ?? []
  }
}

// The agent's own rules over the file provisioning would write; each problem at the key
// that wrote the line. False when there was one.
function checkAgentOptions (settings: AgentSettings, yaml: AgentYaml, at: PropertyKey[], report: Report): boolean {
  let ok = true
  // UCI holds a value on one line; a YAML block scalar can hold several.
  for (const [key, value] of Object.entries(yaml)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    values.forEach((v, i) => {
      if (typeof v === 'string' && /[\n\r\0]/.test(v)) {
        ok = false
        report(issue([...at, key, ...(Array.isArray(value) ? [i] : [])], 'expected one line (the agent\'s UCI file holds a value on one line)'))
      }
    })
  }
  if (!ok) return false
  const uci = agentUciConfig({ ...settings, id: PLACEHOLDER_ID, key: PLACEHOLDER_KEY })
  const result = readAgentConfig(uci.text)
  if (result.ok) return true
  for (const problem of result.problems) {
    const source = uci.sources.get(problem.line)
    const option = source?.option ?? problem.field.replace(/^(option|list) /, '')
    const written = (yaml as Record<string, unknown>)[option] !== undefined
    const path = source !== undefined && written
      ? [...at, option, ...(source.index === null ? [] : [source.index])]
      : written ? [...at, option] : at
    // The agent words its options as the UCI file writes them; here they are YAML keys.
    report(issue(path, problem.reason.replace(/\b(option|list) ([a-z_]+)/g, '$2')))
  }
  return false
}

// One node's agents with its own lan_ingest devices and bridge: names distinct, and one
// decoder per feed (the node's own rules, lan-ingest-rules.ts). Returns the indices of
// agent devices with a problem.
function nodeProblems (config: NodeConfigFile, nodeName: string, agents: Array<{ device: CheckedDevice, rules: MappingRule[] }>, report: Report): Set<number> {
  const bad = new Set<number>()
  const own = config.lanIngest?.devices ?? []
  const section = {
    ...LAN_INGEST_DEFAULTS,
    ...config.lanIngest,
    devices: [
      ...own,
      ...agents.map(({ device, rules }, i): LanDevice => ({ name: device.name, id: i.toString(16).padStart(16, 'f'), key: null, keyFile: `lan-keys/${device.name}.key`, rules }))
    ]
  }
  for (const { device } of agents) {
    if (own.some((d) => d.name === device.name)) {
      bad.add(device.index)
      report(issue(['devices', device.index, 'name'], `node "${nodeName}" already has a lan_ingest device named "${device.name}"`,
        `rename this device, or remove that entry from the lan_ingest devices of ${nodeName}`))
    }
  }
  for (const problem of lanIngestProblems(section, YAML_WORDS, config.bridge?.rules ?? [])) {
    const [, , index, field, rule, ruleField] = problem.path
    if (typeof index !== 'number' || index < own.length || field !== 'rules') continue
    const { device } = agents[index - own.length]
    bad.add(device.index)
    report(ruleIssue(device, rule as number | undefined, ruleField as string | undefined, problem.reason))
  }
  return bad
}

// At the rule the file wrote; for the default rule, which the file does not write, at the
// agent section, saying which rule it is.
function ruleIssue (device: CheckedDevice, rule: number | undefined, field: string | undefined, reason: string): ConfigIssue {
  const at = ['devices', device.index, 'agent']
  if (device.agentYaml?.rules === undefined) {
    return issue(at, `the default rule (# to feed ${device.name}, json): ${reason}`, 'write rules: for this agent with another feed')
  }
  return issue([...at, 'rules', ...(rule === undefined ? [] : [rule, field!])], reason)
}
