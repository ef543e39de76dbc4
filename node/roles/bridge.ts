// The bridge role as one unit the node loads only when a config turns it on: the
// build makes this file its own bundle (roles/bridge.cjs), so mqtt.js, hypercore and
// rocksdb cost nothing on a node without the role.
import type { BridgeSettings } from '../config/types.ts'
import { createBridge, type Bridge } from '../bridge/bridge.ts'
import { brokerForLog } from '../bridge/mqtt-client.ts'
import { loadBridgeState } from '../bridge/state.ts'
import { loadOrCreateFeedKey } from '../feeds/feed-key.ts'
import { openFeeds, type Feeds } from '../feeds/feeds.ts'
import type { Logger } from '../log.ts'
import type { Store } from '../storage/corestore.ts'

// The node opens its one corestore through whichever role bundle it loads first.
export { openStore } from '../storage/corestore.ts'

export interface BridgeRole {
  feeds: Feeds
  feedKey: Uint8Array
  bridge: Bridge
  close (): Promise<void>
}

// The store is the node's, shared with other roles; the role never closes it.
export async function startBridgeRole (store: Store, dataDir: string, settings: BridgeSettings, clientId: string, log: Logger): Promise<BridgeRole> {
  const feedKey = loadOrCreateFeedKey(dataDir)
  const names = [...new Set(settings.rules.map((r) => r.feed))]
  const feeds = await openFeeds(store, feedKey, names, { maxBatch: settings.maxBatch, flushMs: settings.flushMs })
  const state = await loadBridgeState(dataDir, feeds, brokerForLog(settings.broker))
  const bridge = createBridge({ ...settings, clientId }, feeds, state, log)
  await bridge.ready()
  return {
    feeds,
    feedKey,
    bridge,
    async close () {
      // Stop taking readings, then store what is in flight.
      await bridge.close()
      await feeds.close()
    }
  }
}
