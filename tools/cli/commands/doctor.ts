import path from 'node:path'
import { identityPath, loadIdentity } from '../../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { secretFileExists } from '../../../node/identity/secret-file.ts'
import { DOCTOR_TIMEOUT_MS, doctorNode, type DoctorReport } from '../../client/doctor.ts'
import { defineCommand, intFlag } from '../args.ts'
import { CliError } from '../errors.ts'
import { deviceFromFlags, NETWORK_FLAGS, pathWords } from '../network-flags.ts'
import { defaultNodeDataDir } from '../paths.ts'

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'Say what a node sees of its network (NAT, reachable or not, port mapping, relay, DHT, clock) and what to change on its router.',
  details: 'Without NODE_KEY it asks the node of this machine (its key read from --storage). The node\n' +
    'answers only keys it trusts; `roost run` makes this client\'s key its operator.',
  usage: 'roost doctor [NODE_KEY] [--storage DIR] [--json] [--timeout MS] [--relay RELAY_KEY] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'the storage folder of this machine\'s node, when no NODE_KEY is given (default: ~/.local/share/roost/node)' },
    json: { type: 'boolean', help: 'print the report as one JSON object' },
    timeout: { type: 'string', value: 'MS', help: `how long the whole run may take (default: ${DOCTOR_TIMEOUT_MS})` },
    ...NETWORK_FLAGS
  }
}, async (flags, [nodeKey]) => {
  const timeoutMs = intFlag('doctor', 'timeout', flags.timeout, DOCTOR_TIMEOUT_MS, 1000, 600_000)
  const node = nodeKey !== undefined ? decodeKey('node key', nodeKey) : localNode(flags.storage)
  let report: DoctorReport
  try {
    report = await doctorNode(deviceFromFlags(flags), node, { timeoutMs })
  } catch (err) {
    const e = err as Error & { code?: string, hint?: string }
    if (e.code === 'NOT_TRUSTED') e.hint ??= 'the node answers only keys it trusts: ask its operator to add yours (`roost id` prints it), or pass --identity with a trusted one'
    throw e
  }
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(reportJson(report)) + '\n')
    return 0
  }
  process.stdout.write(reportText(report))
  return 0
})

// This machine's node: its key from its storage folder, as `roost invite` reads it.
function localNode (storage: string | undefined): Uint8Array {
  const dataDir = path.resolve(storage ?? defaultNodeDataDir())
  const file = identityPath(dataDir)
  if (!secretFileExists(file)) throw CliError.NO_NODE(dataDir)
  return loadIdentity(file).publicKey
}

export function reportJson (r: DoctorReport): object {
  const n = r.network
  return {
    node: encodeKey(r.node),
    version: r.version,
    boardId: r.boardId,
    uptimeMs: r.uptimeMs,
    verdict: r.verdict,
    nat: n.nat,
    reachable: n.reachable,
    dhtMode: n.persistent ? 'persistent' : 'ephemeral',
    publicAddress: n.publicHost === null ? null : { host: n.publicHost, port: n.publicPort },
    localAddress: { host: n.localHost, port: n.localPort },
    portMapping: n.portMapping,
    relays: n.relays.map(encodeKey),
    serverRelayed: n.serverRelayed,
    dht: { bootstrapped: n.bootstrapped, health: n.health, routingNodes: n.routingNodes, bootstrapNodes: n.bootstrapNodes },
    peers: n.peers.map((p) => ({ peer: encodeKey(p.peer), relayed: p.relay !== null, relay: p.relay === null ? null : encodeKey(p.relay) })),
    clockSkewMs: Math.round(r.clockSkewMs),
    statusRttMs: Math.round(r.statusRttMs),
    connection: { relayed: r.relay !== null, relay: r.relay === null ? null : encodeKey(r.relay), connectMs: Math.round(r.connectMs) }
  }
}

const NAT_WORDS = {
  consistent: 'consistent: the router shows every peer the same address:port (cone, port-restricted, DMZ or none)',
  random: 'random: the router shows every peer another port (a symmetric NAT)',
  unknown: 'not known yet (too few DHT nodes have answered)'
} as const

function mappingWords (r: DoctorReport): string {
  const m = r.network.portMapping
  if (m.phase === 'off') return 'off'
  if (m.phase === 'asking') return 'asking the router'
  if (m.phase === 'failed') return `failed${m.reason === null ? '' : `: ${m.reason}`}`
  const until = m.expiresAt === null ? '' : `, lease until ${new Date(m.expiresAt).toISOString()}`
  return `${m.externalAddress ?? '?'}:${m.externalPort ?? '?'} → port ${m.internalPort ?? '?'} (${m.protocol ?? '?'}${until})`
}

export function reportText (r: DoctorReport): string {
  const n = r.network
  const relayed = n.peers.filter((p) => p.relay !== null).length
  const rows: Array<[string, string]> = [
    ['node', `${encodeKey(r.node)} (roost ${r.version}, ${r.boardId}, up ${(r.uptimeMs / 60_000).toFixed(1)} min)`],
    ['verdict', r.verdict.words],
    ['nat', NAT_WORDS[n.nat]],
    ['reachable', n.reachable ? 'yes: DHT nodes reached it unasked' : 'no: DHT nodes cannot reach it unasked (firewalled)'],
    ['address', `${n.publicHost === null ? 'not known yet' : `${n.publicHost}:${n.publicPort ?? 'random port'}`} as DHT nodes see its requests; listens on ${n.localHost ?? '?'}:${n.localPort}`],
    ['mapping', mappingWords(r)],
    ['relays', n.relays.length === 0 ? 'none configured' : `${n.relays.map(encodeKey).join(', ')}${n.serverRelayed ? ' (named for peers now: its NAT randomises ports)' : ''}`],
    ['dht', `${n.persistent ? 'persistent' : 'ephemeral'} node; ${n.routingNodes} nodes in its routing table; ` +
      `${n.bootstrapped ? 'bootstrapped' : 'NOT bootstrapped'} from ${n.bootstrapNodes === 0 ? 'the public bootstrap nodes' : `${n.bootstrapNodes} configured bootstrap node${n.bootstrapNodes === 1 ? '' : 's'}`}; ${n.health}`],
    ['peers', `${n.peers.length} connected: ${n.peers.length - relayed} direct, ${relayed} relayed`],
    ['clock', `${r.clockSkewMs >= 0 ? '+' : '-'}${(Math.abs(r.clockSkewMs) / 1000).toFixed(1)} s against this machine (±${Math.ceil(r.statusRttMs / 2)} ms)`],
    ['path', `this connection: ${pathWords({ relay: r.relay })}, ${r.connectMs.toFixed(0)} ms to connect`]
  ]
  const lines = rows.map(([k, v]) => `${k.padEnd(10)}${v}`)
  if (r.verdict.advice.length > 0) lines.push('', 'to change:', ...r.verdict.advice.map((a) => `  - ${a}`))
  else lines.push('', 'nothing to change.')
  if (r.verdict.notes.length > 0) lines.push('', 'notes:', ...r.verdict.notes.map((a) => `  - ${a}`))
  return lines.join('\n') + '\n'
}
