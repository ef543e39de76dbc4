// Reads a feed from the node that serves it, over the DHT, decrypting on this side.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'
import type { ParsedFlags } from '../cli/args.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import type { FeedRef } from '../../node/feeds/ref.ts'
import type { StoreCore } from '../../node/storage/corestore.ts'
import { connectToNode, type NodeSession } from './connect.ts'

export interface FeedReader {
  core: StoreCore
  session: NodeSession
  close (): Promise<void>
}

export async function openFeedReader (flags: ParsedFlags, ref: FeedRef, opts: { decrypt: boolean }): Promise<FeedReader> {
  const session = await connectToNode(flags, encodeKey(ref.nodeKey))
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
