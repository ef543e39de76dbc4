// The node's readings feeds: one hypercore per feed name, block-encrypted with the
// household feed key, written through a batcher so a burst of readings becomes a
// few appends.
import type { Store, StoreCore } from '../storage/corestore.ts'
import { createBatcher, type Batcher } from './batcher.ts'
import { NodeError } from '../errors.ts'

export interface FeedInfo { name: string, key: Uint8Array, length: number, byteLength: number }

export interface Feeds {
  // `soon`: someone waits on this block (see Batcher.add).
  append (feed: string, block: Uint8Array, opts?: { soon?: boolean }): Promise<void>
  core (feed: string): StoreCore | undefined
  list (): FeedInfo[]
  close (): Promise<void>
}

export interface FeedOptions {
  maxBatch: number
  flushMs: number
  // Runs after each batch is appended and before its callers hear back: the place to
  // make the batch durable on disk.
  afterAppend?: () => Promise<void>
}

export const FEED_NAMESPACE = 'roost/feed/'

export async function openFeeds (store: Store, feedKey: Uint8Array, names: string[], opts: FeedOptions): Promise<Feeds> {
  const feeds = new Map<string, { core: StoreCore, batcher: Batcher<Uint8Array> }>()
  for (const name of names) {
    const core = store.get({ name: FEED_NAMESPACE + name, encryption: { key: feedKey } })
    await core.ready()
    const batcher = createBatcher<Uint8Array>(async (blocks) => {
      await core.append(blocks)
      if (opts.afterAppend) await opts.afterAppend()
    }, { maxItems: opts.maxBatch, maxDelayMs: opts.flushMs })
    feeds.set(name, { core, batcher })
  }

  return {
    append (feed, block, appendOpts) {
      const entry = feeds.get(feed)
      if (!entry) return Promise.reject(NodeError.NO_SUCH_FEED(feed))
      return entry.batcher.add(block, appendOpts)
    },
    core (feed) {
      return feeds.get(feed)?.core
    },
    list () {
      return [...feeds].map(([name, { core }]) => ({ name, key: core.key!, length: core.length, byteLength: core.byteLength }))
    },
    async close () {
      for (const { batcher } of feeds.values()) await batcher.close()
      for (const { core } of feeds.values()) await core.close()
    }
  }
}
