// A fleet's health with no server of ours: the operator's device asks every node of an
// inventory (tools/provision/layout.ts) for its health over the DHT, a bounded number at
// once, each within one deadline for connecting and answering, through one DHT node.
import type HyperDHT from 'hyperdht'
import { createDht } from '../../node/network/dht.ts'
import type { NodeHealth } from '../../node/protocol/health-messages.ts'
import { connectToNode } from './connect.ts'
import type { Device } from './device.ts'
import { ClientError } from './errors.ts'

// What fleet status reads of each device of an inventory.
export interface FleetMember { name: string, board: string, publicKey: string | null, roles: readonly string[] }

// up: it answered; down: it could not be reached or did not answer in time; refused: it
// answered that this key is not its operator's; no-node: a Lua agent board, which runs no
// node to ask (it forwards readings to a node on its LAN).
export type FleetState = 'up' | 'down' | 'refused' | 'no-node'

export interface FleetRow {
  name: string
  board: string
  publicKey: string | null
  // As provisioned; the health says what runs.
  roles: string[]
  state: FleetState
  // Why a node did not answer: UNREACHABLE, TIMEOUT, NOT_OPERATOR, PEER_CLOSED...
  reason: { code: string, message: string } | null
  health: NodeHealth | null
  // From asking to the answer.
  answerMs: number | null
}

export interface FleetStatusOptions {
  // Nodes asked at once.
  concurrency?: number
  // Per node, for connecting and answering together.
  timeoutMs?: number
}

export const FLEET_CONCURRENCY = 16
export const FLEET_TIMEOUT_MS = 10_000

// One row per device, in the inventory's order.
export async function fleetStatus (device: Device, inventory: { devices: readonly FleetMember[] }, opts: FleetStatusOptions = {}): Promise<FleetRow[]> {
  const concurrency = opts.concurrency ?? FLEET_CONCURRENCY
  const timeoutMs = opts.timeoutMs ?? FLEET_TIMEOUT_MS
  // One DHT node for the whole fleet: a hundred nodes asked through a hundred DHT nodes
  // would bootstrap a hundred times.
  const dht = createDht({ bootstrap: device.bootstrap, host: device.host, ephemeral: true, keyPair: device.keyPair })
  try {
    return await mapBounded(inventory.devices, concurrency, (member) => askMember(device, dht, member, timeoutMs))
  } finally {
    await dht.destroy()
  }
}

async function askMember (device: Device, dht: HyperDHT, member: FleetMember, timeoutMs: number): Promise<FleetRow> {
  const row = { name: member.name, board: member.board, publicKey: member.publicKey, roles: [...member.roles] }
  if (member.publicKey === null) return { ...row, state: 'no-node', reason: null, health: null, answerMs: null }
  const started = performance.now()
  try {
    const health = await askHealth(device, dht, member.publicKey, timeoutMs)
    return { ...row, state: 'up', reason: null, health, answerMs: Math.round(performance.now() - started) }
  } catch (err) {
    const e = err as Error & { code?: string }
    const code = e.code ?? 'ERROR'
    return { ...row, state: code === 'NOT_OPERATOR' ? 'refused' : 'down', reason: { code, message: e.message }, health: null, answerMs: null }
  }
}

// Connecting fails by itself at the deadline (UNREACHABLE, with the last attempt's
// reason); the answer gets what is left of it (TIMEOUT).
async function askHealth (device: Device, dht: HyperDHT, nodeKey: string, timeoutMs: number): Promise<NodeHealth> {
  const started = performance.now()
  const session = await connectToNode(device, nodeKey, { dht, timeoutMs })
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const left = Math.max(0, timeoutMs - (performance.now() - started))
    return await Promise.race([
      session.control.health(),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(ClientError.TIMEOUT('the health request', timeoutMs)), left) })
    ])
  } finally {
    clearTimeout(timer)
    // Also ends a request still waiting: it fails unobserved, the race is over.
    await session.close()
  }
}

// `fn` over every item, at most `limit` at once, results in the items' order.
async function mapBounded<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker))
  return results
}
