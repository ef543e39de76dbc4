// The bridge role as one unit the node loads only when a config turns it on: the
// build makes this file its own bundle (roles/bridge.cjs), so mqtt.js, hypercore and
// rocksdb cost nothing on a node without the role.
import type { BridgeSettings } from '../config.ts'
import { createBridge, type Bridge } from '../bridge/bridge.ts'
import { loadBridgeState } from '../bridge/state.ts'
import { loadOrCreateFeedKey } from '../feeds/feed-key.ts'
import { openFeeds, type Feeds } from '../feeds/feeds.ts'
import type { Logger } from '../log.ts'
import { openStore, type Store } from '../storage/corestore.ts'

export interface BridgeRole {
  store: Store
  feeds: Feeds
  feedKey: Uint8Array
  bridge: Bridge
  close (): Promise<void>
}

export async function startBridgeRole (storage: string, settings: BridgeSettings, clientId: string, log: Logger): Promise<BridgeRole> {
  const store = await openStore(storage)
  const feedKey = loadOrCreateFeedKey(storage)
  const names = [...new Set(settings.rules.map((r) => r.feed))]
  const feeds = await openFeeds(store, feedKey, names, { maxBatch: settings.maxBatch, flushMs: settings.flushMs })
  const state = await loadBridgeState(storage, feeds)
  const bridge = createBridge({ ...settings, clientId }, feeds, state, log)
  await bridge.ready()
  return {
    store,
    feeds,
    feedKey,
    bridge,
    async close () {
      // Stop taking readings, store what is in flight, then close the store.
      await bridge.close()
      await feeds.close()
      await store.close()
    }
  }
}
