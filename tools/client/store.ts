// This device's own corestore, and fetching a core from whoever holds it on the DHT.
import Corestore from 'corestore'
import b4a from 'b4a'
import type { Relays } from '../../node/network/relays.ts'

export interface ClientCore {
  key: Uint8Array
  discoveryKey: Uint8Array
  length: number
  byteLength: number
  contiguousLength: number
  ready (): Promise<void>
  append (blocks: Uint8Array | Uint8Array[]): Promise<{ length: number }>
  get (index: number, opts?: { wait?: boolean, timeout?: number }): Promise<Uint8Array | null>
  update (opts?: { wait?: boolean }): Promise<boolean>
  download (range?: { start: number, end: number }): { done (): Promise<void>, destroy (): void }
  on (event: string, fn: (...args: unknown[]) => void): void
  close (): Promise<void>
}

export interface ClientStore {
  get (opts: { key?: Uint8Array, name?: string, encryption?: { key: Uint8Array } }): ClientCore
  replicate (stream: unknown): unknown
  close (): Promise<void>
}

export function openClientStore (dir: string): ClientStore {
  return new Corestore(dir) as unknown as ClientStore
}


// Connects to every peer the DHT lists for a core (and to `hint`), replicating `store`
// over each: the core is fetched from wherever it is; through a relay (`relays`) when
// hole punching cannot work. Returns a stop function.
export function replicateFromHolders (dht: import('hyperdht').default, store: ClientStore, discoveryKey: Uint8Array,
  keyPair: { publicKey: Uint8Array, secretKey: Uint8Array }, hint: Uint8Array | null, relays: Relays | null = null): () => void {
  const sockets = new Set<import('hyperdht').NoiseSecretStream>()
  const seen = new Set<string>()
  let stopped = false
  const connect = (publicKey: Uint8Array): void => {
    const id = b4a.toString(publicKey, 'hex')
    if (stopped || seen.has(id) || b4a.equals(publicKey, keyPair.publicKey)) return
    seen.add(id)
    // A holder whose punch failed is tried through a relay the next time it is found.
    const socket = dht.connect(publicKey, { keyPair, ...(relays ? { relayThrough: relays.forConnect(publicKey) } : {}) })
    socket.on('error', (err: Error & { code?: string }) => { relays?.failed(publicKey, err.code) })
    socket.once('close', () => { sockets.delete(socket); seen.delete(id) })
    sockets.add(socket)
    store.replicate(socket)
  }
  if (hint) connect(hint)
  const lookup = async (): Promise<void> => {
    while (!stopped) {
      try {
        for await (const reply of dht.lookup(discoveryKey)) {
          for (const peer of reply.peers) connect(peer.publicKey)
          if (stopped) break
        }
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }
  void lookup()
  return () => {
    stopped = true
    for (const s of sockets) s.destroy()
  }
}

// Resolves true once some peer has shown the core's length, false at the deadline.
// update() alone resolves at once while no peer is connected yet.
export async function waitForLength (core: ClientCore, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const left = deadline - Date.now()
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([core.update({ wait: true }), new Promise((resolve) => { timer = setTimeout(resolve, Math.min(left, 500)) })])
    clearTimeout(timer)
    if (core.length > 0) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}
