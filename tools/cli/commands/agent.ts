// `roost agent`: the Lua agents (routers that cannot run Bare) that send readings to
// this machine's node. Each agent is one file in the node's data folder, agents/NAME.json
// (mode 0600, node/lan/agent-files.ts): the running node picks a new one up, or lets a
// removed one go, within a second. config.json is not edited: `roost build` rewrites it,
// and the node would need a restart to read it.
import os from 'node:os'
import path from 'node:path'
import { DEVICE_NAME } from '../../../node/config/lan-ingest-rules.ts'
import { LAN_INGEST_DEFAULTS } from '../../../node/config/types.ts'
import { parseMapFlag, type MappingRule } from '../../../node/bridge/rules.ts'
import { agentFile, newDeviceKeys, readAgentFiles, removeAgentFile, writeAgentFile } from '../../../node/lan/agent-files.ts'
import { defineCommand, usageError } from '../args.ts'
import { CliError } from '../errors.ts'
import { defaultNodeDataDir } from '../paths.ts'

export const agent = defineCommand({
  name: 'agent',
  summary: 'Add, list or remove the Lua agents that send readings to this machine\'s node (run on the node\'s machine).',
  details: '  agent add NAME      make a device id and key, and print the agent\'s /etc/config/roost-agent\n' +
    '  agent ls            the agents, without their keys\n' +
    '  agent remove NAME   forget an agent; the running node drops its readings within a second\n' +
    'The node needs the lan-ingest role and a lan_ingest section in its config.',
  usage: 'roost agent add NAME [--node HOST:PORT] [--map FILTER=FEED:DECODER]... | roost agent ls | roost agent remove NAME [--storage DIR]',
  positionals: 2,
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'the node\'s storage folder (default: ~/.local/share/roost/node)' },
    node: { type: 'string', value: 'HOST:PORT', help: `where the agent sends (default: this machine's LAN address, port ${LAN_INGEST_DEFAULTS.port})` },
    map: { type: 'string', multiple: true, value: 'FILTER=FEED:DECODER', help: 'which feed the agent\'s topics go to (default: #=NAME:json)' }
  }
}, async (flags, [sub, name]) => {
  const dataDir = path.resolve(flags.storage ?? defaultNodeDataDir())
  if (sub === 'ls') {
    for (const read of readAgentFiles(dataDir)) {
      if ('error' in read) {
        process.stdout.write(`${path.basename(read.file, '.json')}  (cannot be used: ${read.error.code}: ${read.error.message})\n`)
        continue
      }
      const { device } = read
      const rules = device.rules.map((r) => `${r.filter}=${r.feed}:${r.decoder}`).join(' ')
      const added = device.addedAt === null ? '(time unknown)' : new Date(device.addedAt).toISOString()
      process.stdout.write(`${device.name}  id ${device.id}  ${rules}  added ${added}\n`)
    }
    return 0
  }
  if (sub !== 'add' && sub !== 'remove') throw usageError('agent', sub ? `unknown subcommand "${sub}" (add, ls, remove)` : 'missing subcommand (add, ls, remove)')
  if (!name) throw usageError('agent', `${sub} needs the agent's NAME`)
  if (!DEVICE_NAME.test(name)) throw usageError('agent', `"${name}" is not an agent name (lower-case letters, digits, - and _, at most 64)`)

  if (sub === 'remove') {
    if (!removeAgentFile(dataDir, name)) throw CliError.NO_SUCH_AGENT(name, dataDir)
    process.stdout.write(`removed ${name}; the running node no longer takes its readings\n`)
    return 0
  }

  const rules = (flags.map ?? [`#=${name}:json`]).map((value): MappingRule => {
    const rule = parseMapFlag(value)
    if (typeof rule === 'string') throw usageError('agent', rule)
    return rule
  })
  const node = flags.node ?? `${lanAddress()}:${LAN_INGEST_DEFAULTS.port}`
  if (!/^[^\s:']+:\d{1,5}$/.test(node) || Number(node.split(':')[1]) < 1 || Number(node.split(':')[1]) > 65_535) {
    throw usageError('agent', `--node must be HOST:PORT, like 192.168.1.2:${LAN_INGEST_DEFAULTS.port}, got "${node}"`)
  }
  const taken = new Set(readAgentFiles(dataDir).flatMap((r) => 'device' in r ? [r.device.id] : []))
  let keys = newDeviceKeys()
  while (taken.has(keys.id)) keys = newDeviceKeys()
  try {
    writeAgentFile(dataDir, { name, id: keys.id, key: keys.key, rules }, Date.now())
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw CliError.AGENT_EXISTS(name, agentFile(dataDir, name))
    throw err
  }
  // The key goes to stdout only, for the operator to copy onto the router.
  process.stdout.write(`config agent 'main'\n\toption node '${node}'\n\toption id '${keys.id}'\n\toption key '${keys.key}'\n`)
  process.stderr.write(`the key above is a secret: put these lines in /etc/config/roost-agent on the router (chmod 600) and nowhere else.\n` +
    `the node keeps its copy in ${agentFile(dataDir, name)} (mode 0600) and takes the agent's readings within a second if it runs.\n` +
    (flags.node === undefined ? `node address ${node} is this machine's first LAN address; pass --node HOST:PORT if the router reaches it otherwise.\n` : ''))
  return 0
})

// The first IPv4 address of this machine that is not loopback: what a router on the LAN
// most likely reaches it by.
function lanAddress (): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}
