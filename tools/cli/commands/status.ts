import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { nodeStatus, type NodeReport } from '../../client/status.ts'
import { defineCommand, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS, pathWords } from '../network-flags.ts'

export const status = defineCommand({
  name: 'status',
  summary: 'Ask a node for its status (uptime, version, roles, host, storage used) over HyperDHT.',
  details: 'The node answers only keys it trusts; `roost id` prints yours.',
  usage: 'roost status --peer NODE_KEY [--json] [--relay RELAY_KEY] [--bootstrap HOST:PORT]',
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'public key of the node' },
    json: { type: 'boolean', help: 'print the status as one JSON object' },
    ...NETWORK_FLAGS
  }
}, async (flags) => {
  if (!flags.peer) throw usageError('status', 'missing --peer NODE_KEY')
  decodeKey('node key', flags.peer)
  let report: NodeReport
  try {
    report = await nodeStatus(deviceFromFlags(flags), flags.peer)
  } catch (err) {
    const e = err as Error & { code?: string, hint?: string }
    if (e.code === 'NOT_TRUSTED') e.hint ??= 'ask the node\'s operator to add your key (`roost id` prints it) to its trusted keys'
    throw e
  }
  const holdings = report.holdings?.map((h) => ({
    core: encodeKey(h.key), owner: encodeKey(h.owner), state: h.state, held: h.held, length: h.length,
    byteLength: h.byteLength, lastSync: h.lastSyncMs > 0 ? new Date(h.lastSyncMs).toISOString() : null, evictable: h.evictable
  })) ?? null
  const relay = report.status.relay === null ? null : { ...report.status.relay, relayKey: encodeKey(report.status.relay.relayKey) }
  const connection = { relayed: report.relay !== null, relay: report.relay === null ? null : encodeKey(report.relay) }
  const n = report.status.network
  const network = n === null
    ? null
    : { ...n, relays: n.relays.map(encodeKey), peers: n.peers.map((p) => ({ peer: encodeKey(p.peer), relay: p.relay === null ? null : encodeKey(p.relay) })) }
  const view = { ...report.status, publicKey: encodeKey(report.status.publicKey), relay, network, holdings, usage: report.usage, connection }
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(view) + '\n')
    return 0
  }
  const rows: Array<[string, string]> = [
    ['node', view.publicKey],
    ['board', view.boardId],
    ['host', `${view.host} (${view.runtime})`],
    ['version', view.version],
    ['roles', view.roles.length > 0 ? view.roles.join(', ') : '(none)'],
    ['uptime', `${(view.uptimeMs / 1000).toFixed(1)} s`],
    ['storage', `${view.storageBytes} bytes used`],
    ['peers', `${view.connections} connected`],
    ['path', pathWords({ relay: report.relay })]
  ]
  if (view.storage) {
    const s = view.storage
    rows.push(['kept', `${s.cores} cores, ${s.bytes} of ${s.budgetBytes} bytes budget; ${s.openCores} open, ${s.syncing} syncing, ${s.announced} announced${s.diskFull ? '; DISK FULL: not taking new blocks' : ''}`])
  }
  if (view.lanIngest) {
    const l = view.lanIngest
    const dropped = Object.entries(l.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`).join(', ')
    rows.push(['lan', `${l.listening ? 'listening' : 'NOT LISTENING'}, ${l.devices} agents; ${l.received} datagrams, ${l.stored} stored, ` +
      `${l.duplicates} sent again, ${l.acksSent} acks${l.notStored > 0 ? `, ${l.notStored} not stored` : ''}; dropped: ${dropped || 'none'}`])
  }
  if (view.relay) {
    const r = view.relay
    rows.push(['relay', `${r.listening ? 'listening' : 'NOT LISTENING'} as ${r.relayKey}; ${r.sessions} sessions from ${r.peers} keys, relaying ${r.relaying} ` +
      `connections (${r.paired} paired, ${r.relayedBytes} bytes); refused: ${r.refusedUntrusted} untrusted, ${r.refusedSessions} over sessions, ` +
      `${r.refusedRate} over rate; ${r.cut} cut for their rate`])
  }
  if (n !== null) {
    const relayed = n.peers.filter((p) => p.relay !== null).length
    rows.push(['network', `NAT ${n.nat}, ${n.reachable ? 'reachable' : 'not reachable unasked'}, ${n.persistent ? 'persistent' : 'ephemeral'} DHT node, ` +
      `seen at ${n.publicHost === null ? '?' : `${n.publicHost}:${n.publicPort ?? 'random'}`}; port mapping ${n.portMapping.phase}; ` +
      `peers ${n.peers.length - relayed} direct, ${relayed} relayed (\`roost doctor\` explains)`])
  }
  if (view.usage) rows.push(['yours', `${view.usage.cores} of ${view.usage.coresLimit} cores, ${view.usage.bytes} of ${view.usage.bytesLimit} bytes`])
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n') + '\n')
  if (holdings && holdings.length > 0) {
    process.stdout.write('\nCORE                                                  STATE       BLOCKS        BYTES  LAST SYNC\n')
    for (const h of holdings) {
      process.stdout.write(`${h.core}  ${h.state.padEnd(10)} ${`${h.held}/${h.length}`.padStart(7)} ${String(h.byteLength).padStart(12)}  ${h.lastSync ?? 'never'}\n`)
    }
  }
  return 0
})
