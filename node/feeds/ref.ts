// A feed reference carries everything a reader needs: the node that serves the feed,
// the feed's core key, and the household feed key that decrypts it. Treat it like a
// password: whoever has it can read the feed.
import { NodeError } from '../errors.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'

export interface FeedRef { nodeKey: Uint8Array, coreKey: Uint8Array, feedKey: Uint8Array, name: string }

const PREFIX = 'roost-feed:'

export function formatFeedRef (ref: FeedRef): string {
  return `${PREFIX}${ref.name}.${encodeKey(ref.nodeKey)}.${encodeKey(ref.coreKey)}.${encodeKey(ref.feedKey)}`
}

export function parseFeedRef (value: string): FeedRef {
  const parts = value.startsWith(PREFIX) ? value.slice(PREFIX.length).split('.') : []
  if (parts.length !== 4 || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(parts[0])) {
    throw NodeError.BAD_FEED_REF()
  }
  return {
    name: parts[0],
    nodeKey: decodeKey('feed reference node key', parts[1]),
    coreKey: decodeKey('feed reference core key', parts[2]),
    feedKey: decodeKey('feed reference feed key', parts[3])
  }
}
