// A node's sensor feeds from this device: the list a trusted key may see (with the
// references that carry the feed key), and a reader that replicates one feed from the
// node over the DHT and decrypts it on this side.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'
import { decodeReading, type ReadingRecord } from '../../node/bridge/record.ts'
import type { FeedRef } from '../../node/feeds/ref.ts'
import { decodeKey } from '../../node/identity/keys.ts'
import type { StoreCore } from '../../node/storage/corestore.ts'
import { connectToNode, type NodeSession } from './connect.ts'
import type { Device } from './device.ts'

export interface FeedListing { name: string, length: number, ref: FeedRef }

// The node's feeds with a reference for each; only the node's trusted keys get them.
export async function listFeeds (device: Device, nodeKey: string): Promise<FeedListing[]> {
  const session = await connectToNode(device, nodeKey)
  try {
    const { feedKey, feeds } = await session.control.feeds()
    const node = decodeKey('node key', nodeKey)
    return feeds.map((f) => ({ name: f.name, length: f.length, ref: { name: f.name, nodeKey: node, coreKey: f.key, feedKey } }))
  } finally {
    await session.close()
  }
}

export interface FeedReader {
  core: StoreCore
  session: NodeSession
  close (): Promise<void>
}

// Without `decrypt` the reader gets the blocks as the node stores them: ciphertext.
export async function openFeedReader (device: Device, ref: FeedRef, opts: { decrypt: boolean }): Promise<FeedReader> {
  const session = await connectToNode(device, ref.nodeKey)
  // The reader keeps no copy: a throwaway store for this one read.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-reader-'))
  const store = new Corestore(dir) as unknown as { get (o: object): StoreCore, replicate (s: unknown): void, close (): Promise<void> }
  store.replicate(session.socket)
  const core = store.get({ key: ref.coreKey, ...(opts.decrypt ? { encryption: { key: ref.feedKey } } : {}) })
  await core.ready()
  // Learn the node's length before reading, so "everything so far" means what it has.
  await (core as unknown as { update (o: object): Promise<boolean> }).update({ wait: true })
  return {
    core,
    session,
    async close () {
      await core.close()
      await store.close()
      await session.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

// The readings of a feed from block `start` on, received at or after `since` (ms since
// the epoch), as the node has them now.
export async function * readingsOf (reader: FeedReader, opts: { start?: number, since?: number } = {}): AsyncGenerator<ReadingRecord> {
  const since = opts.since ?? 0
  for (let i = opts.start ?? 0; i < reader.core.length; i++) {
    const block = await reader.core.get(i)
    if (!block) continue
    const reading = decodeReading(block)
    if (reading.receivedAt >= since) yield reading
  }
}
