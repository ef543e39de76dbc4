// Who may make the node do work: the config's trusted keys and operator key, plus the
// keys paired with an invite, one file per key in `trusted/` of the node's storage.
// One file per key makes pairing (the node adds) and revoking (`roost trust remove`
// on the node's machine deletes) safe to do at the same time without a lock.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { folderStamp } from '../folder-stamp.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'

export const TRUSTED_DIR = 'trusted'
// How often the node looks for keys added or removed by another process.
const REFRESH_MS = 1000

export type TrustSource = 'config' | 'operator' | 'paired'

export interface TrustedKey { key: string, source: TrustSource, addedAt: number | null }

export interface Trust {
  has (publicKey: Uint8Array): boolean
  // Called by the node when a client pairs.
  add (publicKey: Uint8Array): void
  list (): TrustedKey[]
  // Re-reads `trusted/` now; returns the keys that are no longer trusted.
  refresh (): string[]
  close (): void
}

function trustedDir (dataDir: string): string {
  return path.join(dataDir, TRUSTED_DIR)
}

function keyFile (dataDir: string, publicKey: Uint8Array): string {
  return path.join(trustedDir(dataDir), `${encodeKey(publicKey)}.json`)
}

export function readPairedKeys (dataDir: string): TrustedKey[] {
  let names: string[]
  try {
    names = fs.readdirSync(trustedDir(dataDir)) as string[]
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return []
    throw err
  }
  const keys: TrustedKey[] = []
  for (const name of names) {
    const match = /^([13-9a-km-uw-z]{52})\.json$/.exec(name)
    if (!match) continue
    let addedAt: number | null = null
    try {
      const body = JSON.parse(b4a.toString(fs.readFileSync(path.join(trustedDir(dataDir), name)))) as { addedAt?: unknown }
      if (typeof body.addedAt === 'number') addedAt = body.addedAt
    } catch {}
    keys.push({ key: match[1], source: 'paired', addedAt })
  }
  return keys
}

export function addPairedKey (dataDir: string, publicKey: Uint8Array, now: number): void {
  fs.mkdirSync(trustedDir(dataDir), { recursive: true })
  const file = keyFile(dataDir, publicKey)
  // The node and the CLI may both write here: a random name keeps their temporaries apart.
  const tmp = `${file}.${b4a.toString(crypto.randomBytes(6), 'hex')}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ key: encodeKey(publicKey), addedAt: now }) + '\n')
  fs.renameSync(tmp, file)
}

// For `roost trust remove`: true when a paired key was removed.
export function removePairedKey (dataDir: string, key: string): boolean {
  const publicKey = decodeKey('key', key)
  try {
    fs.unlinkSync(keyFile(dataDir, publicKey))
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false
    throw err
  }
}

export function openTrust (dataDir: string, configKeys: string[], operatorKey: string | null): Trust {
  const fixed = new Map<string, TrustSource>()
  for (const k of configKeys) fixed.set(encodeKey(decodeKey('trustedKeys', k)), 'config')
  if (operatorKey) fixed.set(encodeKey(decodeKey('operatorKey', operatorKey)), 'operator')
  let paired = new Map<string, TrustedKey>()
  let stamp = ''

  function refresh (): string[] {
    const now = folderStamp(trustedDir(dataDir))
    if (now === stamp) return []
    stamp = now
    const next = new Map(readPairedKeys(dataDir).map((k) => [k.key, k]))
    const gone = [...paired.keys()].filter((k) => !next.has(k) && !fixed.has(k))
    paired = next
    return gone
  }

  refresh()
  const timer = setInterval(refresh, REFRESH_MS)
  timer.unref?.()

  return {
    has (publicKey) {
      const key = encodeKey(publicKey)
      return fixed.has(key) || paired.has(key)
    },
    add (publicKey) {
      addPairedKey(dataDir, publicKey, Date.now())
      refresh()
    },
    list () {
      const all: TrustedKey[] = [...fixed].map(([key, source]) => ({ key, source, addedAt: null }))
      for (const k of paired.values()) if (!fixed.has(k.key)) all.push(k)
      return all
    },
    refresh,
    close () { clearInterval(timer) }
  }
}
