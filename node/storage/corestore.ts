// The node's corestore, opened only when a role needs hypercores: loading rocksdb-native
// alone costs about 8 MB of RSS on Bare (measured), too much for a node without one.
import path from '#path'

export interface Store {
  // corestore's own type is loose; roost uses get/replicate/ready/close.
  get (opts: Record<string, unknown>): StoreCore
  replicate (stream: unknown): unknown
  ready (): Promise<void>
  close (): Promise<void>
}

export interface StoreCore {
  key: Uint8Array | null
  discoveryKey: Uint8Array | null
  length: number
  byteLength: number
  ready (): Promise<void>
  append (blocks: Uint8Array | Uint8Array[]): Promise<{ length: number, byteLength: number }>
  get (index: number, opts?: Record<string, unknown>): Promise<Uint8Array | null>
  close (): Promise<void>
  on (event: string, listener: (...args: unknown[]) => void): void
}

export function coresPath (storage: string): string {
  return path.join(storage, 'cores')
}

export async function openStore (storage: string): Promise<Store> {
  const { default: Corestore } = await import('corestore')
  const store = new Corestore(coresPath(storage)) as unknown as Store
  await store.ready()
  return store
}
