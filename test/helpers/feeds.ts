import path from 'node:path'
import Corestore from 'corestore'
import { decodeReadings, type ReadingRecord } from '../../node/bridge/record.ts'
import { loadOrCreateFeedKey } from '../../node/feeds/feed-key.ts'
import { FEED_NAMESPACE } from '../../node/feeds/feeds.ts'

// Every record of a node's feed, in order, read from its storage while the node is stopped.
export async function readFeed (dataDir: string, name: string): Promise<ReadingRecord[]> {
  const store = new Corestore(path.join(dataDir, 'cores')) as unknown as {
    get (o: object): { ready (): Promise<void>, length: number, get (i: number): Promise<Uint8Array>, close (): Promise<void> }
    close (): Promise<void>
  }
  const core = store.get({ name: FEED_NAMESPACE + name, encryption: { key: loadOrCreateFeedKey(dataDir) } })
  await core.ready()
  const records: ReadingRecord[] = []
  for (let i = 0; i < core.length; i++) records.push(...decodeReadings(await core.get(i)))
  await core.close()
  await store.close()
  return records
}
