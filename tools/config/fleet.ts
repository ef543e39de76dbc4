// Fleet files: the devices an operator runs, each a board and a node config, with
// fleet-wide defaults. Every problem in the file is reported at once, each at the line
// of the key the user wrote (a device's own key, or the default it took), with the fix.
// A device's config is checked by the node config's own rules (node-config.ts), against
// its own board.
//
//   fleet: home                      name of the fleet (marks its provisioning folder)
//   operator_key: KEY                optional; default: the provisioning CLI's key
//   defaults: { trusted_keys, bootstrap, bridge, storage_peer, ... }
//   devices:
//     - name: kitchen-pi             lower-case letters, digits, -: a folder and host name
//       board: raspberry-pi-4b       an id from board-configs/
//       roles: [storage, bridge]     and any other node config key, over the defaults
//       memory_budget_mb: 100        optional: less than the board's RAM (systemd MemoryMax)
//       address: 192.168.1.2         optional: how the LAN reaches it (its agents, SSH)
//     - name: attic-router
//       board: tplink-archer-c7-v5   a Lua agent board: no node config, an agent section
//       agent: { node: kitchen-pi, subscribe: [...], rules: [...] }     (fleet-agent.ts)
import { z } from 'zod'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { isPublicKey } from '../../node/identity/keys.ts'
import { loadBoards, type Board } from './boards.ts'
import { ConfigError } from './errors.ts'
import { addressProblem, agentFields, checkAgents, type CheckedDevice, type FleetAgent } from './fleet-agent.ts'
import { nodeConfigFields, nodeConfigIssues, toConfigFile, type ConfigIssue, type NodeConfigYaml } from './node-config.ts'
import { readConfigFile, readYaml, throwProblems } from './yaml.ts'

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
const NAME_RULE = 'lower-case letters, digits and -, at most 63, starting with a letter or digit'

// The operator key is the fleet's: one for every device, in the file or from the CLI.
const defaultsFields = nodeConfigFields.omit({ operator_key: true })
const deviceFields = defaultsFields.extend({
  name: z.string(),
  board: z.string(),
  memory_budget_mb: z.number().int().positive().optional(),
  address: z.string().optional(),
  agent: agentFields.optional()
})

const fleetFields = z.strictObject({
  fleet: z.string(),
  operator_key: z.string().optional(),
  defaults: z.unknown().optional(),
  devices: z.array(z.unknown()).min(1)
})

// The whole file's shape, for the list of valid fields when a key is unknown.
const fleetSchema = fleetFields.extend({ defaults: defaultsFields.optional(), devices: z.array(deviceFields) })

// Values never echoed in a message, wherever they are.
const SECRET_FIELDS = ['defaults.bridge.password', 'defaults.lan_ingest.devices.*.key', 'devices.*.lan_ingest.devices.*.key', 'devices.*.agent.password']

export interface FleetDevice {
  name: string
  // The board, with the device's memory budget when it sets one.
  board: Board
  // The device's node config; null for a Lua agent board, which runs no node.
  config: NodeConfigFile | null
  // For a Lua agent board: its node and what it reads; null for a node.
  agent: FleetAgent | null
  // How the LAN reaches the device, as the file gives it; null when it does not.
  address: string | null
}

export interface Fleet {
  name: string
  // As the file writes it; null leaves it to the provisioning CLI's own key.
  operatorKey: string | null
  devices: FleetDevice[]
}

export function loadFleet (file: string, boards: Board[] = loadBoards()): Fleet {
  return parseFleet(file, readConfigFile(file), boards)
}

export function parseFleet (file: string, text: string, boards: Board[] = loadBoards()): Fleet {
  const source = readYaml(file, text)
  const problems: ConfigError[] = []
  const report = (issue: z.core.$ZodIssue | ConfigIssue): void => {
    const secretFields = [...SECRET_FIELDS, ...devicePaths(issue.path).map((d) => `devices.${d}.bridge.password`)]
    problems.push(source.problem(issue as z.core.$ZodIssue, fleetSchema, { secretFields }))
  }
  const top = fleetFields.safeParse(source.data)
  if (!top.success) {
    top.error.issues.forEach(report)
    throwProblems(file, problems)
  }
  const { fleet: name, operator_key: operatorKey, devices: rawDevices } = top.data!
  if (!NAME.test(name)) report(custom(['fleet'], `expected ${NAME_RULE}`, { got: undefined }))
  if (operatorKey !== undefined && !isPublicKey(operatorKey)) report(custom(['operator_key'], 'expected a public key (52 z-base-32 or 64 hex characters)', { hint: '`roost id` prints yours' }))
  const defaults = parseDefaults(top.data!.defaults, report)
  const checked = rawDevices.map((raw, i) => checkDevice(raw, i, defaults, boards, report))
  markDuplicates(rawDevices, report)
  const agents = checkAgents(checked, report)
  throwProblems(file, problems)
  return {
    name,
    operatorKey: operatorKey ?? null,
    devices: checked.map((c, i) => {
      const { name, board, config, address } = c!
      return { name, board, config, address, agent: board.program === 'lua-agent' ? agents.get(i)! : null }
    })
  }
}

type Report = (issue: z.core.$ZodIssue | ConfigIssue) => void

function custom (path: PropertyKey[], message: string, params: ConfigIssue['params'] = { got: false }): ConfigIssue {
  return { code: 'custom', path, message, params }
}

function prefixed (issue: z.core.$ZodIssue | ConfigIssue, prefix: PropertyKey[]): z.core.$ZodIssue {
  return { ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue
}

function devicePaths (path: readonly PropertyKey[]): string[] {
  return path[0] === 'devices' && path.length > 1 ? [String(path[1])] : []
}

function parseDefaults (raw: unknown, report: Report): Omit<NodeConfigYaml, 'operator_key'> | null {
  if (raw === undefined) return {}
  const parsed = defaultsFields.safeParse(raw)
  if (parsed.success) return parsed.data
  for (const issue of parsed.error.issues) report(prefixed(issue, ['defaults']))
  return null
}

// One device: its shape, its board, what the board can run, and its node config (the
// defaults with its own keys over them) by the node's rules. A problem in a default is
// reported at the default's line, once. What it returns goes on to the agents' check,
// which needs every device; its config is null when the device has a problem.
function checkDevice (raw: unknown, index: number, defaults: Omit<NodeConfigYaml, 'operator_key'> | null, boards: Board[],
  report: Report): CheckedDevice | null {
  const at = ['devices', index]
  const parsed = deviceFields.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(prefixed(issue, at))
    return null
  }
  const { name, board: boardId, memory_budget_mb: memoryBudgetMb, address, agent, ...own } = parsed.data
  let ok = true
  const fail = (issue: ConfigIssue): void => { ok = false; report(prefixed(issue, at)) }
  if (!NAME.test(name)) fail(custom(['name'], `expected ${NAME_RULE}`, { got: undefined }))
  if (address !== undefined) {
    const problem = addressProblem(address)
    if (problem !== null) fail(custom(['address'], problem, { got: undefined }))
  }
  const known = boards.find((b) => b.id === boardId)
  if (known === undefined) {
    fail(custom(['board'], `unknown board "${boardId}" (valid boards: ${boards.map((b) => b.id).join(', ')})`,
      { got: false, hint: 'pick one of the ids `roost boards` lists, or add board-configs/<id>.yaml' }))
    return null
  }
  if (memoryBudgetMb !== undefined && memoryBudgetMb >= known.ramMb) {
    fail(custom(['memory_budget_mb'], `expected less than the RAM of ${known.id} (${known.ramMb} MB)`,
      { got: undefined, hint: 'leave the rest of the RAM to the OS and the board\'s other services' }))
  }
  const board: Board = memoryBudgetMb === undefined ? known : { ...known, memoryBudgetMb }
  const checked = (config: NodeConfigFile | null): CheckedDevice =>
    ({ index, name, board, config: ok ? config : null, address: address ?? null, agentYaml: agent ?? null })
  if (board.program === 'lua-agent') {
    if ((own.roles ?? []).length > 0) {
      fail(custom(['roles'], `expected no roles: ${board.id} (${board.host}) cannot run the node on Bare, it runs the Lua agent`,
        { got: undefined, hint: 'give these roles to a node on the same LAN (the lan-ingest role takes the agent\'s readings)' }))
    }
    // Everything but its own keys is a node config key (roles is answered above).
    for (const key of Object.keys(own)) {
      if (key === 'roles') continue
      fail(custom([key], `expected no node config: ${board.id} runs the Lua agent, not the node`,
        { got: false, hint: 'put what the agent reads under agent: (broker, subscribe, file, command, ...), and node settings on its node' }))
    }
    if (agent === undefined) {
      fail(custom([], 'a Lua agent device needs an agent section naming the node that takes its readings',
        { got: false, hint: 'add agent: { node: NAME } with the name of a device of this fleet that has the lan-ingest role' }))
    }
    return checked(null)
  }
  if (agent !== undefined) {
    fail(custom(['agent'], `only for a Lua agent board; ${board.id} runs the node`,
      { got: false, hint: 'remove it: this device takes agents\' readings with the lan-ingest role, if it has it' }))
  }
  if (defaults === null) return checked(null)
  const merged = mergeDevice(defaults, own)
  for (const issue of nodeConfigIssues(merged, board)) {
    // Reported where the value was written: the device's own key, or the default's.
    const key = issue.path[0] as keyof typeof own
    if (own[key] !== undefined || defaults[key] === undefined) fail(issue)
    else { ok = false; report(prefixed(issue, ['defaults'])) }
  }
  return checked(toConfigFile(merged, board))
}

// The device's keys over the defaults; storage_peer limits merge key by key, everything
// else the device writes replaces the default.
function mergeDevice (defaults: Omit<NodeConfigYaml, 'operator_key'>, own: Omit<NodeConfigYaml, 'operator_key'>): NodeConfigYaml {
  const merged: NodeConfigYaml = { ...defaults, ...own }
  if (defaults.storage_peer !== undefined || own.storage_peer !== undefined) {
    merged.storage_peer = { ...defaults.storage_peer, ...own.storage_peer }
  }
  return merged
}

function markDuplicates (rawDevices: unknown[], report: Report): void {
  const first = new Map<string, number>()
  rawDevices.forEach((raw, index) => {
    const name = (raw as { name?: unknown } | null)?.name
    if (typeof name !== 'string') return
    const earlier = first.get(name)
    if (earlier === undefined) first.set(name, index)
    else {
      report(custom(['devices', index, 'name'], `expected each device name once; devices.${earlier} is also "${name}"`,
        { got: false, hint: 'give one of the two another name' }))
    }
  })
}
