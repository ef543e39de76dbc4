// The UDP path to the node: a connected LuaSocket UDP socket (only the node's address gets
// through to receive), datagrams out, acknowledgements in. Anything that does not open as
// an acknowledgement for this device under its key is counted and otherwise ignored.
import * as socket from 'socket'
import { type Bytes } from './bytes.ts'
import { toBytes } from './text.ts'
import { type Ack, openAck, type WireRefusal } from './wire.ts'

export interface Received {
  // In arrival order: each is judged on its own (renumber.ts).
  acks: Ack[]
  bad: WireRefusal[]
}

export function openLink (host: string, port: number): socket.UdpSocket | string {
  const [udp, err] = socket.udp()
  if (udp === undefined) return `udp socket: ${err}`
  udp.settimeout(0)
  const [ok, peerErr] = udp.setpeername(host, port)
  if (ok === undefined) return `node ${host}:${port}: ${peerErr}`
  return udp
}

// Every acknowledgement waiting on the socket (up to 256 datagrams a call).
export function receiveAcks (udp: socket.UdpSocket, key: Bytes, deviceId: Bytes): Received {
  const out: Received = { acks: [], bad: [] }
  for (let i = 0; i < 256; i++) {
    const [data, err] = udp.receive(2048)
    if (data === undefined) {
      // "connection refused" is an ICMP error for an earlier send (the node's port closed).
      if (err === 'timeout') break
      continue
    }
    const opened = openAck(key, deviceId, toBytes(data))
    if (!opened.ok) {
      out.bad.push(opened.refusal)
      continue
    }
    out.acks.push(opened.ack)
  }
  return out
}
