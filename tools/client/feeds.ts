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
import { ClientError } from './errors.ts'

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

// How long a reader waits for the node to say how long the feed is.
const LENGTH_TIMEOUT_MS = 20_000

// Without `decrypt` the reader gets the blocks as the node stores them: ciphertext.
export async function openFeedReader (device: Device, ref: FeedRef, opts: { decrypt: boolean, timeoutMs?: number }): Promise<FeedReader> {
  const session = await connectToNode(device, ref.nodeKey)
  // The reader keeps no copy: a throwaway store for this one read.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-reader-'))
  const store = new Corestore(dir) as unknown as { get (o: object): StoreCore, replicate (s: unknown): void, close (): Promise<void> }
  store.replicate(session.socket)
  const core = store.get({ key: ref.coreKey, ...(opts.decrypt ? { encryption: { key: ref.feedKey } } : {}) })
  const close = async (): Promise<void> => {
    await core.close()
    await store.close()
    await session.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const timeoutMs = opts.timeoutMs ?? LENGTH_TIMEOUT_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await core.ready()
    // Learn the node's length before reading, so "everything so far" means what it has.
    await Promise.race([
      (core as unknown as { update (o: object): Promise<boolean> }).update({ wait: true }),
      new Promise((_resolve, reject) => { timer = setTimeout(() => reject(ClientError.TIMEOUT(`the length of feed "${ref.name}"`, timeoutMs)), timeoutMs) })
    ])
  } catch (err) {
    await close()
    throw err
  } finally {
    clearTimeout(timer)
  }
  return { core, session, close }
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
