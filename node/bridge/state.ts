// What the bridge remembers across restarts: the retained payload it last stored per
// topic (a file, replaced atomically), and the most recent QoS ≥ 1 records of each
// feed (read back from the feeds themselves, so they can never disagree).
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type { Feeds } from '../feeds/feeds.ts'
import type { BridgeState } from './bridge.ts'
import { dedupeKey } from './bridge.ts'
import { watchBrokerDrops } from './broker-drops.ts'
import { MAX_UNSETTLED_READINGS } from './intake.ts'
import { decodeReading } from './record.ts'
import { newestRecords } from '../feeds/block.ts'

export const RETAINED_FILE = 'bridge-retained.json'
// Readings the broker may still hold unacknowledged at a crash are the newest ones:
// the intake lets no more than MAX_UNSETTLED_READINGS be stored and unacknowledged.
const RECENT_PER_FEED = MAX_UNSETTLED_READINGS

// `names`: the bridge's own feeds, of all the node's feeds; `broker`: the broker's URL as
// logs show it, which the drop count is kept under.
export async function loadBridgeState (dataDir: string, feeds: Feeds, names: string[], broker: string): Promise<BridgeState> {
  const file = path.join(dataDir, RETAINED_FILE)
  const retained = new Map<string, string>()
  try {
    const parsed = JSON.parse(b4a.toString(fs.readFileSync(file))) as Record<string, unknown>
    for (const [topic, hash] of Object.entries(parsed)) if (typeof hash === 'string') retained.set(topic, hash)
  } catch (err) {
    // A missing file is a first start; a damaged one only costs re-recording retained values.
    if ((err as { code?: string }).code !== 'ENOENT') retained.clear()
  }

  const recent = new Set<string>()
  for (const { name } of feeds.list().filter((f) => names.includes(f.name))) {
    const newestFirst: Uint8Array[] = []
    for await (const record of newestRecords(feeds.core(name)!, RECENT_PER_FEED)) newestFirst.push(record)
    // Oldest first: the bridge forgets the oldest first.
    for (const record of newestFirst.reverse()) {
      try {
        const r = decodeReading(record)
        if (r.qos > 0) recent.add(dedupeKey(r.packetId, r.topic, r.payload))
      } catch {}
    }
  }

  return {
    retained,
    recent,
    brokerDrops: watchBrokerDrops(dataDir, broker),
    async save () {
      const tmp = `${file}.tmp`
      fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(retained)))
      fs.renameSync(tmp, file)
    }
  }
}
