// Two ends of one encrypted connection, in memory: what protomux needs of a
// NoiseSecretStream (whole frames, the remote key, close), so both ends of the control
// channel can talk in a unit test. Every frame an end writes is kept as it was sent.
import { EventEmitter } from 'node:events'
import type { ExecutionContext } from 'ava'
import type { NoiseSecretStream } from 'hyperdht'

export interface FramedEnd { socket: NoiseSecretStream, sent: Uint8Array[] }

export function streamPair (t: ExecutionContext, clientKey: Uint8Array, nodeKey: Uint8Array): [client: FramedEnd, node: FramedEnd] {
  const ends: FramedEnd[] = []
  const other = (end: FramedEnd): FramedEnd => ends[1 - ends.indexOf(end)]!
  ends.push(framedEnd(nodeKey, other), framedEnd(clientKey, other))
  t.teardown(() => ends[0]!.socket.destroy())
  return [ends[0]!, ends[1]!]
}

function framedEnd (remotePublicKey: Uint8Array, other: (end: FramedEnd) => FramedEnd): FramedEnd {
  const sent: Uint8Array[] = []
  const socket = Object.assign(new EventEmitter(), {
    userData: null,
    remotePublicKey,
    destroyed: false,
    write (frame: Uint8Array): boolean {
      const copy = Uint8Array.from(frame)
      sent.push(copy)
      setImmediate(() => { if (!peer().destroyed) peer().emit('data', copy) })
      return true
    },
    end (): void { socket.destroy() },
    destroy (): void {
      if (socket.destroyed) return
      socket.destroyed = true
      setImmediate(() => {
        socket.emit('close')
        peer().destroy()
      })
    },
    pause (): void {},
    resume (): void {}
  })
  const end: FramedEnd = { socket: socket as unknown as NoiseSecretStream, sent }
  const peer = (): NoiseSecretStream => other(end).socket
  return end
}
