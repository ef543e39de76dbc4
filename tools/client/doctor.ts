// `roost doctor` as a library: asks a node by key for its status and reads what it sees
// of its network (node/protocol/network-messages.ts), measures the clock skew between the
// node and this machine, and gives the verdict (network-verdict.ts). One deadline covers
// the whole run; on expiry the error says what it was waiting for.
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import type { NodeStatus } from '../../node/protocol/messages.ts'
import type { NetworkStatus } from '../../node/protocol/network-messages.ts'
import { connectToNode, type ConnectingDevice, type NodeSession } from './connect.ts'
import { ClientError } from './errors.ts'
import { diagnose, type Verdict } from './network-verdict.ts'

export const DOCTOR_TIMEOUT_MS = 30_000

export interface DoctorReport {
  node: Uint8Array
  version: string
  boardId: string
  uptimeMs: number
  // The relay this device's connection went through; null when direct.
  relay: Uint8Array | null
  connectMs: number
  // The node's clock minus this machine's, at the middle of the status request.
  clockSkewMs: number
  // How long the status request took: the skew is good to about half of it.
  statusRttMs: number
  network: NetworkStatus
  verdict: Verdict
}

export async function doctorNode (device: ConnectingDevice, nodeKey: string | Uint8Array, opts: { timeoutMs?: number } = {}): Promise<DoctorReport> {
  const publicKey = typeof nodeKey === 'string' ? decodeKey('node key', nodeKey) : nodeKey
  const timeoutMs = opts.timeoutMs ?? DOCTOR_TIMEOUT_MS
  const deadline = performance.now() + timeoutMs
  const seconds = timeoutMs / 1000
  let session: NodeSession
  try {
    session = await connectToNode(device, publicKey, { timeoutMs })
  } catch (err) {
    throw ClientError.DOCTOR_NO_ANSWER(encodeKey(publicKey), 'a connection to it through the DHT', seconds, err as Error)
  }
  try {
    const left = Math.max(0, Math.round(deadline - performance.now()))
    const sentAt = Date.now()
    let timer: ReturnType<typeof setTimeout> | undefined
    let status: NodeStatus
    try {
      status = await Promise.race([
        session.control.status(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(ClientError.DOCTOR_NO_ANSWER(encodeKey(publicKey), 'its status reply', seconds, ClientError.TIMEOUT('the status request', left))), left)
        })
      ])
    } finally {
      clearTimeout(timer)
    }
    const answeredAt = Date.now()
    if (status.network === null) throw ClientError.NO_NETWORK_VIEW(encodeKey(publicKey), status.version)
    const clockSkewMs = status.network.clockMs - (sentAt + answeredAt) / 2
    return {
      node: publicKey,
      version: status.version,
      boardId: status.boardId,
      uptimeMs: status.uptimeMs,
      relay: session.path().relay,
      connectMs: session.connectMs,
      clockSkewMs,
      statusRttMs: answeredAt - sentAt,
      network: status.network,
      verdict: diagnose({ network: status.network, uptimeMs: status.uptimeMs, clockSkewMs })
    }
  } finally {
    await session.close()
  }
}
