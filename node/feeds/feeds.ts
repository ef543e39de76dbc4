// The node's readings feeds: one hypercore per feed name, block-encrypted with the
// household feed key, written through a batcher so a burst of readings becomes a
// few appends of a few blocks, each block holding many records (block.ts). The node
// has one Feeds for every role that writes readings (the bridge, lan-ingest): a feed
// both write is opened once and has one batcher, so their readings go into the same
// appends and never race each other for the core.
import type { Store, StoreCore } from '../storage/corestore.ts'
import { createBatcher, type Batcher } from './batcher.ts'
import { countRecords, encodeBatch } from './block.ts'
import { NodeError } from '../errors.ts'

// `length`: the records (readings) the feed holds, not its blocks.
export interface FeedInfo { name: string, key: Uint8Array, length: number, byteLength: number }

export interface Feeds {
  readonly feedKey: Uint8Array
  // Opens the feeds not open yet; a feed already open keeps the batching it was opened with.
  open (names: string[], opts: FeedOptions): Promise<void>
  // Settles once the record is stored. `soon`: someone waits on it (see Batcher.add).
  append (feed: string, record: Uint8Array, opts?: { soon?: boolean }): Promise<void>
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

export function createFeeds (store: Store, feedKey: Uint8Array): Feeds {
  const feeds = new Map<string, { core: StoreCore, batcher: Batcher<Uint8Array>, records: () => number }>()
  // Two roles starting at once may ask for the same feed: the second waits for the first.
  const opening = new Map<string, Promise<void>>()

  async function openOne (name: string, opts: FeedOptions): Promise<void> {
    const core = store.get({ name: FEED_NAMESPACE + name, encryption: { key: feedKey } })
    await core.ready()
    // One batch is written at a time (batcher.ts), so the count is right for the next.
    let records = await countRecords(core)
    const batcher = createBatcher<Uint8Array>(async (batch) => {
      await core.append(encodeBatch(records, batch))
      records += batch.length
      if (opts.afterAppend) await opts.afterAppend()
    }, { maxItems: opts.maxBatch, maxDelayMs: opts.flushMs })
    feeds.set(name, { core, batcher, records: () => records })
  }

  return {
    feedKey,
    async open (names, opts) {
      for (const name of names) {
        if (!opening.has(name)) opening.set(name, openOne(name, opts))
        await opening.get(name)
      }
    },
    append (feed, record, appendOpts) {
      const entry = feeds.get(feed)
      if (!entry) return Promise.reject(NodeError.NO_SUCH_FEED(feed))
      return entry.batcher.add(record, appendOpts)
    },
    core (feed) {
      return feeds.get(feed)?.core
    },
    list () {
      return [...feeds].map(([name, { core, records }]) => ({ name, key: core.key!, length: records(), byteLength: core.byteLength }))
    },
    async close () {
      await Promise.allSettled(opening.values())
      for (const { batcher } of feeds.values()) await batcher.close()
      for (const { core } of feeds.values()) await core.close()
    }
  }
}

export async function openFeeds (store: Store, feedKey: Uint8Array, names: string[], opts: FeedOptions): Promise<Feeds> {
  const feeds = createFeeds(store, feedKey)
  await feeds.open(names, opts)
  return feeds
}
