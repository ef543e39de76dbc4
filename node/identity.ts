// The node's Ed25519 identity, kept in one file in its storage folder. The file is
// created once with mode 0600 and never replaced: a bad file stops the node rather
// than silently turning it into a new node with a new key.
import fs from '#fs'
import path from '#path'
import crypto from 'hypercore-crypto'
import b4a from 'b4a'
import { NodeError } from './errors.ts'
import { encodeKey } from './keys.ts'

export interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export const IDENTITY_FILE = 'identity.json'

export function identityPath (storage: string): string {
  return path.join(storage, IDENTITY_FILE)
}

export function loadOrCreateIdentity (storage: string): { keyPair: KeyPair, created: boolean, file: string } {
  ensureStorage(storage)
  const file = identityPath(storage)
  if (!exists(file)) return { keyPair: createIdentity(file), created: true, file }
  return { keyPair: loadIdentity(file), created: false, file }
}

export function loadIdentity (file: string): KeyPair {
  const mode = fs.statSync(file).mode
  if ((mode & 0o077) !== 0) throw NodeError.IDENTITY_PERMISSIONS(file, mode)

  let parsed: unknown
  try {
    parsed = JSON.parse(b4a.toString(fs.readFileSync(file)))
  } catch {
    // The reason names the file only: its contents are secret.
    throw NodeError.IDENTITY_CORRUPT(file, 'not readable JSON (truncated or overwritten?)')
  }
  if (typeof parsed !== 'object' || parsed === null) throw NodeError.IDENTITY_CORRUPT(file, 'expected an object')
  const { version, secretKey } = parsed as Record<string, unknown>
  if (version !== 1) throw NodeError.IDENTITY_CORRUPT(file, 'unknown version')
  if (typeof secretKey !== 'string' || !/^[0-9a-f]{128}$/.test(secretKey)) {
    throw NodeError.IDENTITY_CORRUPT(file, 'secretKey is not 64 bytes of hex')
  }
  const keyPair = crypto.keyPair(b4a.from(secretKey.slice(0, 64), 'hex'))
  if (!b4a.equals(keyPair.secretKey, b4a.from(secretKey, 'hex'))) {
    throw NodeError.IDENTITY_CORRUPT(file, 'secretKey does not match its own public half')
  }
  const { publicKey } = parsed as Record<string, unknown>
  if (publicKey !== encodeKey(keyPair.publicKey)) throw NodeError.IDENTITY_CORRUPT(file, 'publicKey does not match secretKey')
  return keyPair
}

function createIdentity (file: string): KeyPair {
  const keyPair = crypto.keyPair()
  const body = JSON.stringify({
    version: 1,
    publicKey: encodeKey(keyPair.publicKey),
    // An Ed25519 secret key is seed ‖ public key; the seed alone rebuilds the pair.
    secretKey: b4a.toString(keyPair.secretKey, 'hex')
  }) + '\n'
  // 'wx' fails if the file appeared meanwhile: never overwrite an identity.
  const fd = fs.openSync(file, 'wx', 0o600)
  try {
    fs.writeSync(fd, b4a.from(body))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return keyPair
}

function ensureStorage (storage: string): void {
  try {
    fs.mkdirSync(storage, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw NodeError.STORAGE_UNUSABLE(storage, (err as Error).message)
  }
}

function exists (file: string): boolean {
  try {
    fs.statSync(file)
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false
    throw err
  }
}
