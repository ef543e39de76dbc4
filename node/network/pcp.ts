// PCP (RFC 6887), NAT-PMP's successor on the same port 5351: asked only when the router
// answers NAT-PMP with "unsupported version", as a router that speaks PCP alone does
// (§9). One MAP request for UDP; the nonce ties renewals and the deletion to the
// mapping. Pure encoding, like nat-pmp.ts.
export interface PcpMapReply { result: number, lifetimeSeconds: number, epoch: number, nonce: Uint8Array, internalPort: number, externalPort: number, externalAddress: string }

const RESULTS: Record<number, string> = {
  1: 'the router does not speak this PCP version',
  2: 'the router refuses to map ports for this machine (PCP not authorized)',
  7: 'the router cannot map ports now (it has no external address or its WAN link is down)',
  8: 'the router has no free ports or mappings',
  10: 'this machine has used up its share of the router\'s mappings',
  11: 'the router cannot give that external port',
  12: 'the router sees this machine at another address (another NAT between them?)'
}

export function pcpResultReason (code: number): string {
  return RESULTS[code] ?? `the router answered with PCP result ${code}`
}

function ipv4Mapped (address: string): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...address.split('.').map(Number)]
}

// lifetime 0 deletes the mapping the nonce and internal port name.
export function pcpMapRequest (opts: { clientAddress: string, nonce: Uint8Array, internalPort: number, externalPort: number, lifetimeSeconds: number }): Uint8Array {
  const msg = new Uint8Array(60)
  const v = new DataView(msg.buffer)
  msg[0] = 2
  msg[1] = 1
  v.setUint32(4, opts.lifetimeSeconds)
  msg.set(ipv4Mapped(opts.clientAddress), 8)
  msg.set(opts.nonce.subarray(0, 12), 24)
  msg[36] = 17
  v.setUint16(40, opts.internalPort)
  v.setUint16(42, opts.externalPort)
  msg.set(ipv4Mapped('0.0.0.0'), 44)
  return msg
}

// null for a datagram that is not a MAP reply carrying `nonce`.
export function readPcpMapReply (msg: Uint8Array, nonce: Uint8Array): PcpMapReply | null {
  if (msg.byteLength < 24 || msg[0] !== 2 || msg[1] !== 0x81) return null
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength)
  const result = msg[3]
  const lifetimeSeconds = v.getUint32(4)
  const epoch = v.getUint32(8)
  if (result !== 0 && msg.byteLength < 60) return { result, lifetimeSeconds, epoch, nonce, internalPort: 0, externalPort: 0, externalAddress: '' }
  if (msg.byteLength < 60) return null
  const replyNonce = msg.subarray(24, 36)
  if (!replyNonce.every((b, i) => b === nonce[i])) return null
  return {
    result, lifetimeSeconds, epoch, nonce,
    internalPort: v.getUint16(40),
    externalPort: v.getUint16(42),
    externalAddress: [...msg.subarray(56, 60)].join('.')
  }
}
