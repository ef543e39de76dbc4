// The household feed key: encrypts every feed block. Provisioning writes it; a node
// started without one makes one. Kept like the identity: 0600, never replaced.
import path from '#path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { NodeError } from '../errors.ts'
import { createSecretJson, readSecretJson, secretFileExists } from '../identity/secret-file.ts'

export const FEED_KEY_FILE = 'feed-key.json'

export function loadOrCreateFeedKey (dataDir: string): Uint8Array {
  const file = path.join(dataDir, FEED_KEY_FILE)
  if (!secretFileExists(file)) {
    const key = crypto.randomBytes(32)
    createSecretJson(file, { version: 1, feedKey: b4a.toString(key, 'hex') })
    return key
  }
  const { version, feedKey } = readSecretJson(file)
  if (version !== 1 || typeof feedKey !== 'string' || !/^[0-9a-f]{64}$/.test(feedKey)) {
    throw NodeError.IDENTITY_CORRUPT(file, 'expected version 1 and a 32-byte hex feedKey')
  }
  return b4a.from(feedKey, 'hex')
}
