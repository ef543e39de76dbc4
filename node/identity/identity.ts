// The node's Ed25519 identity, kept in one file in its storage folder. The file is
// created once with mode 0600 and never replaced: a bad file stops the node rather
// than silently turning it into a new node with a new key.
import fs from '#fs'
import path from '#path'
import crypto from 'hypercore-crypto'
import b4a from 'b4a'
import { NodeError } from '../errors.ts'
import { encodeKey } from './keys.ts'
import { createSecretJson, readSecretJson, replaceSecretJson, secretFileExists } from './secret-file.ts'

export interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export const IDENTITY_FILE = 'identity.json'

export function identityPath (dataDir: string): string {
  return path.join(dataDir, IDENTITY_FILE)
}

export function loadOrCreateIdentity (dataDir: string): { keyPair: KeyPair, created: boolean, file: string } {
  ensureStorage(dataDir)
  const file = identityPath(dataDir)
  if (!secretFileExists(file)) return { keyPair: createIdentity(file), created: true, file }
  return { keyPair: loadIdentity(file), created: false, file }
}

export function loadIdentity (file: string): KeyPair {
  const { version, secretKey, publicKey } = readSecretJson(file)
  if (version !== 1) throw NodeError.IDENTITY_CORRUPT(file, 'unknown version')
  if (typeof secretKey !== 'string' || !/^[0-9a-f]{128}$/.test(secretKey)) {
    throw NodeError.IDENTITY_CORRUPT(file, 'secretKey is not 64 bytes of hex')
  }
  const keyPair = crypto.keyPair(b4a.from(secretKey.slice(0, 64), 'hex'))
  if (!b4a.equals(keyPair.secretKey, b4a.from(secretKey, 'hex'))) {
    throw NodeError.IDENTITY_CORRUPT(file, 'secretKey does not match its own public half')
  }
  if (publicKey !== encodeKey(keyPair.publicKey)) throw NodeError.IDENTITY_CORRUPT(file, 'publicKey does not match secretKey')
  return keyPair
}

// A new identity in `file`, which must not exist yet.
export function createIdentity (file: string): KeyPair {
  const keyPair = crypto.keyPair()
  createSecretJson(file, identityBody(keyPair))
  return keyPair
}

// A new identity in place of the one in `file` (provisioning's --rotate): the old key is
// gone for good.
export function rotateIdentity (file: string): KeyPair {
  const keyPair = crypto.keyPair()
  replaceSecretJson(file, identityBody(keyPair))
  return keyPair
}

function identityBody (keyPair: KeyPair): Record<string, unknown> {
  return {
    version: 1,
    publicKey: encodeKey(keyPair.publicKey),
    // An Ed25519 secret key is seed ‖ public key; the seed alone rebuilds the pair.
    secretKey: b4a.toString(keyPair.secretKey, 'hex')
  }
}

function ensureStorage (dataDir: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw NodeError.STORAGE_UNUSABLE(dataDir, (err as Error).message)
  }
}
