import { encodeKey } from '../../../node/identity/keys.ts'
import { stringFlag, usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { connectToNode, NETWORK_FLAGS } from '../../client/connect.ts'

export const spec: CommandSpec = {
  name: 'status',
  summary: 'Ask a node for its status (uptime, version, roles, host, storage used) over HyperDHT.\n' +
    'The node answers only keys it trusts; `roost id` prints yours.',
  usage: 'roost status --peer NODE_KEY [--json] [--bootstrap HOST:PORT]',
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'public key of the node' },
    json: { type: 'boolean', help: 'print the status as one JSON object' },
    ...NETWORK_FLAGS
  }
}

export async function run (flags: ParsedFlags): Promise<number> {
  const nodeKey = stringFlag(flags, 'peer')
  if (!nodeKey) throw usageError('status', 'missing --peer NODE_KEY')
  const session = await connectToNode(flags, nodeKey)
  let status
  let held = null
  try {
    status = await session.control.status()
    if (status.storage) held = await session.control.holdings()
  } catch (err) {
    const e = err as Error & { code?: string, hint?: string }
    if (e.code === 'NOT_TRUSTED') e.hint ??= 'ask the node\'s operator to add your key (`roost id` prints it) to its trusted keys'
    throw e
  } finally {
    await session.close()
  }
  const holdings = held?.holdings.map((h) => ({
    core: encodeKey(h.key), owner: encodeKey(h.owner), state: h.state, held: h.held, length: h.length,
    byteLength: h.byteLength, lastSync: h.lastSyncMs > 0 ? new Date(h.lastSyncMs).toISOString() : null, evictable: h.evictable
  })) ?? null
  const view = { ...status, publicKey: encodeKey(status.publicKey), holdings, usage: held?.usage ?? null }
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
    ['peers', `${view.connections} connected`]
  ]
  if (view.storage) {
    const s = view.storage
    rows.push(['kept', `${s.cores} cores, ${s.bytes} of ${s.budgetBytes} bytes budget; ${s.openCores} open, ${s.syncing} syncing, ${s.announced} announced${s.diskFull ? '; DISK FULL: not taking new blocks' : ''}`])
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
}
