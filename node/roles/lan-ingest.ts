// The lan-ingest role as one unit the node loads only when a config turns it on (its
// own bundle on the device, roles/lan-ingest.cjs): readings from Lua agents on the LAN,
// over UDP, into the node's feeds. Lean on purpose: bare-dgram, sodium (already in the
// node for its identity) and the bridge's record and rules; hypercore and rocksdb come
// with the store, shared with the other roles.
import type { MappingRule } from '../bridge/rules.ts'
import { BRIDGE_DEFAULTS, type LanIngestSettings } from '../config/types.ts'
import type { Feeds } from '../feeds/feeds.ts'
import { openDevices, type Devices } from '../lan/devices.ts'
import { createIngest, type Ingest } from '../lan/ingest.ts'
import { loadLanState, type LanState } from '../lan/state.ts'
import type { Logger } from '../log.ts'
import type { LanIngestStatus } from '../protocol/lan-messages.ts'

// The node opens its one corestore through whichever role bundle it loads first.
export { openStore } from '../storage/corestore.ts'

export interface LanIngestRole {
  // The node's feeds, shared with the other roles that write readings.
  feeds: Feeds
  stats (): LanIngestStatus
  close (): Promise<void>
}

export interface LanIngestOptions {
  feeds: Feeds
  dataDir: string
  settings: LanIngestSettings
  // The bridge's rules, when it runs: a feed keeps one decoder whoever writes it.
  bridgeRules: MappingRule[]
  log: Logger
}

// Every reading waits for its acknowledgement: appends are written at the end of the
// turn they arrive in (`soon`), so only the batch size matters here.
const BATCHING = { maxBatch: BRIDGE_DEFAULTS.maxBatch, flushMs: BRIDGE_DEFAULTS.flushMs }

// Throws when it cannot start (its state unreadable, its port taken): the node logs
// that and goes on serving without the role. The feeds are the node's; the role never
// closes them.
export async function startLanIngestRole ({ feeds, dataDir, settings, bridgeRules, log }: LanIngestOptions): Promise<LanIngestRole> {
  const feedNames = new Set<string>()
  let devices: Devices | null = null
  let state: LanState | null = null
  let ingest: Ingest | null = null
  try {
    devices = await openDevices({
      dataDir,
      configured: settings.devices,
      bridgeRules,
      log,
      async openFeeds (names) {
        await feeds.open(names, BATCHING)
        for (const name of names) feedNames.add(name)
      }
    })
    state = await loadLanState(dataDir, feeds, [...feedNames])
    ingest = createIngest({ settings, devices, state, feeds, log })
    await ingest.ready()
  } catch (err) {
    devices?.close()
    state?.close()
    throw err
  }
  const running = { devices, state, ingest }
  return {
    feeds,
    stats: () => running.ingest.stats(),
    async close () {
      running.devices.close()
      await running.ingest.close()
      running.state.close()
    }
  }
}
