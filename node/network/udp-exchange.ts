// One UDP request to a router and its reply, sent again with doubling waits as RFC 6886
// asks (250 ms first), a bounded number of times: NAT-PMP and SSDP both use it.
import dgram, { type RemoteInfo } from '#dgram'

export interface Exchange<T> {
  to: { host: string, port: number }
  message: Uint8Array
  // The reply, or null for a datagram that is not one (another sender, another opcode).
  read (message: Uint8Array, from: RemoteInfo): T | null
  tries: number
  firstWaitMs: number
  // Keep listening after the first reply until the wait ends, collecting every reply
  // (SSDP: several devices may answer a search).
  collect?: boolean
}

// The replies, empty when nothing answered within the tries.
export async function exchange<T> (opts: Exchange<T>): Promise<T[]> {
  const socket = dgram.createSocket({ type: 'udp4' })
  const replies: T[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject)
      socket.bind(0, '0.0.0.0', () => resolve())
    })
    let wake: (() => void) | null = null
    socket.on('message', (message, from) => {
      const reply = opts.read(message, from)
      if (reply === null) return
      replies.push(reply)
      if (!opts.collect) wake?.()
    })
    let waitMs = opts.firstWaitMs
    for (let i = 0; i < opts.tries && (replies.length === 0 || opts.collect === true); i++) {
      // A send that fails (no route to the router) is as good as no answer.
      socket.send(opts.message, opts.to.port, opts.to.host, () => {})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        wake = () => { clearTimeout(timer); resolve() }
      })
      wake = null
      if (opts.collect && replies.length > 0) break
      waitMs *= 2
    }
    return replies
  } catch {
    return replies
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()))
  }
}
