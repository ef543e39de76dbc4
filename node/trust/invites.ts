// One-time invites: `roost invite` on the node's machine writes the hash of a fresh
// secret to `invites/` in the node's storage and prints the node's key with the
// secret; `roost pair INVITE` sends the secret over the DHT and the node trusts the
// sender's key. Taking an invite is a rename (.json → .used), which only one of two
// clients racing with the same invite can win; the .used file lets a reuse be told
// apart from a mistyped invite.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { NodeError } from '../errors.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'
import { Refusal, type Refused } from '../protocol/refusals.ts'

export const INVITES_DIR = 'invites'
const PREFIX = 'roost-invite:'

export interface Invite { nodeKey: Uint8Array, secret: Uint8Array }

export function formatInvite (invite: Invite): string {
  return `${PREFIX}${encodeKey(invite.nodeKey)}.${encodeKey(invite.secret)}`
}

export function parseInvite (value: string): Invite {
  const parts = value.startsWith(PREFIX) ? value.slice(PREFIX.length).split('.') : []
  if (parts.length !== 2) {
    throw NodeError.BAD_INVITE()
  }
  return { nodeKey: decodeKey('invite node key', parts[0]), secret: decodeKey('invite secret', parts[1]) }
}

function inviteFile (dataDir: string, secret: Uint8Array, suffix: '.json' | '.used'): string {
  return path.join(dataDir, INVITES_DIR, b4a.toString(crypto.hash(secret), 'hex') + suffix)
}

export function createInvite (dataDir: string, nodeKey: Uint8Array, ttlMs: number, now: number): { invite: string, expiresAt: number } {
  const secret = crypto.randomBytes(32)
  const expiresAt = now + ttlMs
  fs.mkdirSync(path.join(dataDir, INVITES_DIR), { recursive: true })
  // Only the secret's hash is stored: reading the folder does not give a usable invite.
  const fd = fs.openSync(inviteFile(dataDir, secret, '.json'), 'wx', 0o600)
  try {
    fs.writeSync(fd, b4a.from(JSON.stringify({ expiresAt }) + '\n'))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return { invite: formatInvite({ nodeKey, secret }), expiresAt }
}

export type InviteRefusalCode = 'INVITE_UNKNOWN' | 'INVITE_USED' | 'INVITE_EXPIRED'

// Takes the invite if it is valid; otherwise says why not. Never throws for a bad secret.
export function takeInvite (dataDir: string, secret: Uint8Array, now: number): Refused | null {
  const open = inviteFile(dataDir, secret, '.json')
  const used = inviteFile(dataDir, secret, '.used')
  try {
    fs.renameSync(open, used)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
    if (exists(used)) return Refusal.INVITE_USED()
    return Refusal.INVITE_UNKNOWN()
  }
  let expiresAt = 0
  try {
    expiresAt = Number((JSON.parse(b4a.toString(fs.readFileSync(used))) as { expiresAt?: unknown }).expiresAt)
  } catch {}
  if (!(expiresAt > now)) {
    return Refusal.INVITE_EXPIRED(expiresAt)
  }
  return null
}

function exists (file: string): boolean {
  try {
    fs.statSync(file)
    return true
  } catch {
    return false
  }
}
