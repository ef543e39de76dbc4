// What a node tells its operator about itself: the ring of its last errors (bounded,
// error events only, nothing but event, code and time) and the health built from it.
import test from 'ava'
import type { NodeConfig } from '../../node/config/types.ts'
import { RELAY_DEFAULTS, STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import { nodeHealth } from '../../node/health.ts'
import type { LogEvent } from '../../node/log-events.ts'
import type { Logger } from '../../node/log.ts'
import { rememberErrors, RECENT_ERRORS_KEPT } from '../../node/recent-errors.ts'
import type { BridgeRole } from '../../node/roles/bridge.ts'
import type { StorageRole } from '../../node/roles/storage.ts'

function logged (): { log: Logger, lines: Array<{ event: LogEvent, fields: object }> } {
  const lines: Array<{ event: LogEvent, fields: object }> = []
  return { log: (event, fields) => { lines.push({ event, fields }) }, lines }
}

const clock = (): () => number => { let t = 1000; return () => t++ }

test('the ring keeps only the last five errors, oldest first', (t) => {
  const errors = rememberErrors(logged().log, { now: clock() })
  for (let i = 0; i < 8; i++) errors.log('peer-error', { peer: 'p', code: `E${i}`, reason: 'gone' })
  t.is(RECENT_ERRORS_KEPT, 5)
  t.deepEqual(errors.recent().map((e) => e.code), ['E3', 'E4', 'E5', 'E6', 'E7'])
  t.deepEqual(errors.recent()[0], { event: 'peer-error', code: 'E3', atMs: 1003 })
})

test('the ring remembers error events only, and still logs every event', (t) => {
  const { log, lines } = logged()
  const errors = rememberErrors(log, { now: clock() })
  errors.log('peer-connected', { peer: 'p' })
  errors.log('sync-stalled', { core: 'c', held: 1, length: 2 })
  errors.log('sync-failed', { core: 'c', reason: 'no peers' })
  t.deepEqual(lines.map((l) => l.event), ['peer-connected', 'sync-stalled', 'sync-failed'])
  t.deepEqual(errors.recent(), [{ event: 'sync-failed', code: null, atMs: 1000 }])
})

test('the ring keeps no message, reason, topic or hint of an error', (t) => {
  const errors = rememberErrors(logged().log)
  errors.log('broker-error', { broker: 'mqtt://user@broker.lan', code: 'BROKER_NOT_AUTHORIZED', reason: 'bad password hunter2', hint: 'check it' })
  errors.log('reading-not-stored', { topic: 'home/secret-room/door', reason: 'feed closed' })
  errors.log('error', { code: 'SHUTDOWN_FAILED', message: '/var/lib/roost: EACCES' })
  for (const entry of errors.recent()) t.deepEqual(Object.keys(entry).sort(), ['atMs', 'code', 'event'])
  t.false(JSON.stringify(errors.recent()).includes('hunter2'))
  t.false(JSON.stringify(errors.recent()).includes('secret-room'))
})

test('the last error of a kind is kept after newer errors push it out of the ring', (t) => {
  const errors = rememberErrors(logged().log, { now: clock() })
  errors.log('broker-error', { broker: 'b', code: 'ECONNREFUSED', reason: 'refused' })
  for (let i = 0; i < 10; i++) errors.log('peer-error', { peer: 'p', code: 'ECONNRESET', reason: 'reset' })
  t.false(errors.recent().some((e) => e.event === 'broker-error'))
  t.deepEqual(errors.last('broker-error'), { event: 'broker-error', code: 'ECONNREFUSED', atMs: 1000 })
  t.is(errors.last('keep-failed'), null)
})

const config = {
  version: 1, boardId: 'x86-64-mini-pc', dataDir: '/nonexistent/roost-health-test', bootstrap: [], host: null, roles: ['bridge', 'storage'],
  trustedKeys: [], operatorKey: null, peers: [], pingIntervalMs: 30_000, bridge: null, storagePeer: { ...STORAGE_PEER_DEFAULTS, budgetBytes: 5000 }, lanIngest: null,
  relays: [], relay: RELAY_DEFAULTS, portMapping: true
} satisfies NodeConfig

// Only what the health reads of each role.
const bridge = {
  feeds: { list: () => [{ name: 'meters', key: new Uint8Array(32), length: 42, byteLength: 420 }] },
  bridge: { stats: () => ({ connected: false, reconnects: 3 }) }
} as unknown as BridgeRole
const storage = { keeper: { status: () => ({ cores: 7 }) } } as unknown as StorageRole

test('the health names the broker\'s last error code, its feeds and the cores kept', (t) => {
  const errors = rememberErrors(logged().log)
  errors.log('broker-error', { broker: 'b', reason: 'subscribe failed: not allowed' })
  const health = nodeHealth({ config, startedAt: Date.now() - 50, errors, bridge: () => bridge, storage: () => storage })
  t.deepEqual(health.broker, { connected: false, reconnects: 3, lastErrorCode: 'BROKER_ERROR' })
  t.deepEqual(health.feeds, [{ name: 'meters', length: 42 }])
  t.is(health.coresKept, 7)
  t.is(health.budgetBytes, 5000)
  t.is(health.dataBytes, 0)
  t.true(health.uptimeMs >= 50)
  t.true(health.memory.rssBytes > 0 && health.memory.peakRssBytes >= health.memory.rssBytes && health.memory.heapUsedBytes > 0)
})

test('the health of a node without roles has no feeds, broker or cores', (t) => {
  const health = nodeHealth({ config: { ...config, roles: [] }, startedAt: Date.now(), errors: rememberErrors(logged().log), bridge: () => null, storage: () => null })
  t.is(health.feeds, null)
  t.is(health.broker, null)
  t.is(health.coresKept, null)
  t.deepEqual(health.errors, [])
})
