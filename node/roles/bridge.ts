// The bridge role as one unit the node loads only when a config turns it on: the
// build makes this file its own bundle (roles/bridge.cjs), so mqtt.js, hypercore and
// rocksdb cost nothing on a node without the role.
import type { BridgeSettings } from '../config/types.ts'
import { createBridge, type Bridge } from '../bridge/bridge.ts'
import { brokerForLog } from '../bridge/mqtt-client.ts'
import { loadBridgeState } from '../bridge/state.ts'
import type { Feeds } from '../feeds/feeds.ts'
import type { Logger } from '../log.ts'

// The node opens its one corestore through whichever role bundle it loads first.
export { openStore } from '../storage/corestore.ts'

export interface BridgeRole {
  // The node's feeds, shared with the other roles that write readings.
  feeds: Feeds
  feedKey: Uint8Array
  bridge: Bridge
  close (): Promise<void>
}

// The feeds are the node's, shared with other roles; the role never closes them.
export async function startBridgeRole (feeds: Feeds, dataDir: string, settings: BridgeSettings, clientId: string, log: Logger): Promise<BridgeRole> {
  const names = [...new Set(settings.rules.map((r) => r.feed))]
  await feeds.open(names, { maxBatch: settings.maxBatch, flushMs: settings.flushMs })
  const state = await loadBridgeState(dataDir, feeds, names, brokerForLog(settings.broker))
  const bridge = createBridge({ ...settings, clientId }, feeds, state, log)
  await bridge.ready()
  return {
    feeds,
    feedKey: feeds.feedKey,
    bridge,
    async close () {
      // Stop taking readings; the node then stores what is in flight when it closes the feeds.
      await bridge.close()
    }
  }
}
