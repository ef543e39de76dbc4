// A node's sensor feeds from this device: the list a trusted key may see (with the
// references that carry the feed key), and a reader that replicates one feed from the
// node over the DHT and decrypts it on this side.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'
import { decodeReadings, type ReadingRecord } from '../../node/bridge/record.ts'
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

// Where a reader is in a feed: the next block to read and how many of its readings
// were already read. A block holds the readings of one batch (node/feeds/block.ts).
export interface FeedCursor { block: number, skip: number }

// A cursor before the last `count` readings the reader has now.
export async function cursorAtLast (reader: Pick<FeedReader, 'core'>, count: number): Promise<FeedCursor> {
  let left = count
  for (let block = reader.core.length - 1; block >= 0; block--) {
    if (left === 0) return { block: block + 1, skip: 0 }
    const got = await reader.core.get(block)
    const readings = got ? decodeReadings(got).length : 0
    if (readings >= left) return { block, skip: readings - left }
    left -= readings
  }
  return { block: 0, skip: 0 }
}

// The readings from `cursor` on, as the node has them now, received at or after `since`
// (ms since the epoch); the cursor moves past each one yielded.
export async function * readingsFrom (reader: Pick<FeedReader, 'core'>, cursor: FeedCursor, opts: { since?: number } = {}): AsyncGenerator<ReadingRecord> {
  const since = opts.since ?? 0
  while (cursor.block < reader.core.length) {
    const block = await reader.core.get(cursor.block)
    const readings = block ? decodeReadings(block) : []
    while (cursor.skip < readings.length) {
      const reading = readings[cursor.skip++]
      if (reading.receivedAt >= since) yield reading
    }
    cursor.block++
    cursor.skip = 0
  }
}

// Every reading of a feed received at or after `since`, as the node has them now.
export function readingsOf (reader: Pick<FeedReader, 'core'>, opts: { since?: number } = {}): AsyncGenerator<ReadingRecord> {
  return readingsFrom(reader, { block: 0, skip: 0 }, opts)
}
