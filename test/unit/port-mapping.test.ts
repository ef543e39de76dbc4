// The port mapping's parts without a router: NAT-PMP's records and epoch rule, the
// default route, the UPnP description and SOAP, and the lifecycle against a stand-in
// NAT-PMP router on loopback (renewal at half the lease, a router restart, deletion).
import dgram from 'node:dgram'
import test from 'ava'
import { epochWentBack, mapUdpRequest, readAnnouncement, readExternalAddressReply, readMapUdpReply } from '../../node/network/nat-pmp.ts'
import { defaultRoute } from '../../node/network/gateway.ts'
import { createPortMapping } from '../../node/network/port-mapping.ts'
import { addPortMappingArgs, externalAddressOf, findService, readSearchReply, soapBody } from '../../node/network/upnp-igd.ts'
import { parseHttpUrl } from '../../node/network/http-text.ts'
import { checkNodeConfig } from '../../node/config/check.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { parseNodeConfig } from '../../tools/config/node-config.ts'
import type { LogEvent } from '../../node/log-events.ts'

test('NAT-PMP records: a UDP mapping request, its reply, and a deletion', (t) => {
  t.deepEqual([...mapUdpRequest(49737, 49737, 7200)], [0, 1, 0, 0, 0xc2, 0x49, 0xc2, 0x49, 0, 0, 0x1c, 0x20])
  t.deepEqual([...mapUdpRequest(49737, 0, 0)].slice(6), [0, 0, 0, 0, 0, 0])
  const reply = Uint8Array.of(0, 129, 0, 0, 0, 0, 0, 9, 0xc2, 0x49, 0xc2, 0x4a, 0, 0, 0x0e, 0x10)
  t.deepEqual(readMapUdpReply(reply), { result: 0, epoch: 9, internalPort: 49737, externalPort: 49738, lifetimeSeconds: 3600 })
  t.deepEqual(readExternalAddressReply(Uint8Array.of(0, 128, 0, 0, 0, 0, 0, 1, 203, 0, 113, 7)), { result: 0, epoch: 1, address: '203.0.113.7' })
  t.is(readMapUdpReply(Uint8Array.of(0, 128, 0, 0)), null)
  t.is(readMapUdpReply(Uint8Array.of(0, 129, 0, 2, 0, 0, 0, 1))?.result, 2)
})

test('a router whose epoch fell behind the time since its last answer restarted', (t) => {
  const before = { epoch: 1000, atMs: 0 }
  t.false(epochWentBack(before, 1600, 600_000))
  // 1/8 drift and 2 s are allowed.
  t.false(epochWentBack(before, 1000 + 525 - 2, 600_000))
  t.true(epochWentBack(before, 30, 600_000))
})

test('a router\'s restart announcement, NAT-PMP\'s or PCP\'s, carries its new epoch', (t) => {
  t.is(readAnnouncement(Uint8Array.of(0, 128, 0, 0, 0, 0, 0, 3, 203, 0, 113, 7)), 3)
  // miniupnpd's PCP ANNOUNCE (captured in the lab): version 2, response, epoch 0.
  t.is(readAnnouncement(new Uint8Array(24).fill(0).map((_, i) => i === 0 ? 2 : i === 1 ? 128 : 0)), 0)
  t.is(readAnnouncement(Uint8Array.of(0, 129, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0)), null)
})

test('the default route with the lowest metric is the router to ask', (t) => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
    'eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    'eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0'
  ].join('\n')
  t.deepEqual(defaultRoute(table), { iface: 'eth0', gateway: '192.168.1.1' })
  t.is(defaultRoute(table.split('\n').filter((l) => !l.includes('\t00000000\t0')).join('\n')), null)
})

test('UPnP: the search answer\'s location, the WAN service\'s control URL, and the SOAP it is sent', (t) => {
  t.is(readSearchReply(Buffer.from('HTTP/1.1 200 OK\r\nST: x\r\nLOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n\r\n')), 'http://192.168.1.1:5000/rootDesc.xml')
  t.is(readSearchReply(Buffer.from('NOTIFY * HTTP/1.1\r\nLOCATION: http://x/\r\n\r\n')), null)
  const location = parseHttpUrl('http://192.168.1.1:5000/rootDesc.xml')!
  const description = '<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/ctl/L3F</controlURL></service>' +
    '<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>ctl/IPConn</controlURL></service></serviceList></device></root>'
  t.deepEqual(findService(description, location), { control: { host: '192.168.1.1', port: 5000, path: '/ctl/IPConn' }, serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:1' })
  t.is(findService('<root></root>', location), null)
  const body = soapBody('urn:schemas-upnp-org:service:WANIPConnection:1', 'AddPortMapping', addPortMappingArgs({ port: 49737, externalPort: 49737, localAddress: '192.168.1.2', leaseSeconds: 7200 }))
  t.regex(body, /<u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewRemoteHost><\/NewRemoteHost><NewExternalPort>49737<\/NewExternalPort><NewProtocol>UDP<\/NewProtocol>/)
  t.regex(body, /<NewInternalClient>192\.168\.1\.2<\/NewInternalClient>.*<NewLeaseDuration>7200<\/NewLeaseDuration>/)
  t.is(externalAddressOf('<u:GetExternalIPAddressResponse><NewExternalIPAddress>203.0.113.9</NewExternalIPAddress></u:GetExternalIPAddressResponse>'), '203.0.113.9')
  t.is(parseHttpUrl('https://192.168.1.1/'), null)
})

test('port_mapping in the YAML is config.json\'s portMapping, on by default, and the node refuses anything but a boolean', (t) => {
  const board = loadBoard('x86-64-mini-pc')
  t.is(parseNodeConfig('node.yaml', 'port_mapping: false\n', board).portMapping, false)
  const config = parseNodeConfig('node.yaml', 'roles: [storage]\n', board)
  t.is(checkNodeConfig(config).portMapping, true)
  t.throws(() => parseNodeConfig('node.yaml', 'port_mapping: "no"\n', board), { message: /node\.yaml:1: port_mapping: / })
  t.throws(() => checkNodeConfig({ ...config, portMapping: 'no' }), { code: 'INVALID_CONFIG', message: 'config: portMapping: expected true or false' })
})

// A NAT-PMP router on loopback that grants `lifetime` seconds and answers with `epoch()`.
async function standIn (lifetime: number, epoch: () => number): Promise<{ port: number, requests: number[][], close (): void }> {
  const socket = dgram.createSocket('udp4')
  const requests: number[][] = []
  socket.on('message', (msg, from) => {
    requests.push([...msg])
    const reply = Buffer.alloc(msg[1] === 0 ? 12 : 16)
    reply[1] = 128 + msg[1]
    reply.writeUInt32BE(epoch(), 4)
    if (msg[1] === 0) reply.set([203, 0, 113, 7], 8)
    else {
      reply.writeUInt16BE(msg.readUInt16BE(4), 8)
      reply.writeUInt16BE(msg.readUInt16BE(6), 10)
      reply.writeUInt32BE(msg.readUInt32BE(8) === 0 ? 0 : lifetime, 12)
    }
    socket.send(reply, from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { port: socket.address().port, requests, close: () => socket.close() }
}

test('a mapping is renewed at half its lease, asked again after the router restarted, and deleted on close', async (t) => {
  let epoch = 5000
  const router = await standIn(2, () => epoch)
  t.teardown(() => router.close())
  const events: Array<{ event: LogEvent, fields: unknown }> = []
  const mapping = createPortMapping({
    log: (event, fields) => events.push({ event, fields }),
    gateway: () => ({ address: '127.0.0.1', localAddress: '127.0.0.1' }),
    natPmpPort: router.port,
    announcements: false
  })
  const state = await mapping.map(49737)
  t.like(state, { phase: 'mapped', protocol: 'nat-pmp', internalPort: 49737, externalAddress: '203.0.113.7', externalPort: 49737, reason: null })
  t.deepEqual(events.map((e) => e.event), ['port-mapped'])
  // Renewed after 1 s (half of 2): the same mapping is not logged again.
  epoch += 1
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.is(router.requests.filter((r) => r[1] === 1).length, 2)
  t.deepEqual(events.map((e) => e.event), ['port-mapped'])
  // The router restarted: its epoch went back; the next renewal says so.
  epoch = 1
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.like(events.at(-1), { event: 'port-mapped', fields: { after: 'router-restarted' } })
  await mapping.close()
  t.deepEqual(router.requests.at(-1), [0, 1, 0, 0, 0xc2, 0x49, 0, 0, 0, 0, 0, 0])
  t.is(events.at(-1)?.event, 'port-unmapped')
  t.is(mapping.state().phase, 'off')
})

test('a router that answers NAT-PMP with "unsupported version" is asked with PCP, and the PCP mapping is deleted with its nonce', async (t) => {
  const socket = dgram.createSocket('udp4')
  const requests: Buffer[] = []
  socket.on('message', (msg, from) => {
    requests.push(msg)
    if (msg[0] === 0) {
      // RFC 6887 §9: a PCP-only server answers version 0 with UNSUPP_VERSION.
      socket.send(Buffer.from([0, 128 + msg[1], 0, 1, 0, 0, 0, 0]), from.port, from.address)
      return
    }
    const reply = Buffer.alloc(60)
    reply[0] = 2
    reply[1] = 0x81
    reply.writeUInt32BE(msg.readUInt32BE(4), 4)
    reply.writeUInt32BE(42, 8)
    msg.copy(reply, 24, 24, 42)
    reply.writeUInt16BE(msg.readUInt32BE(4) === 0 ? 0 : msg.readUInt16BE(40), 42)
    reply.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 8], 44)
    socket.send(reply, from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  t.teardown(() => socket.close())
  const events: LogEvent[] = []
  const mapping = createPortMapping({
    log: (event) => events.push(event),
    gateway: () => ({ address: '127.0.0.1', localAddress: '127.0.0.1' }),
    natPmpPort: socket.address().port,
    announcements: false
  })
  t.like(await mapping.map(49737), { phase: 'mapped', protocol: 'pcp', externalAddress: '203.0.113.8', externalPort: 49737 })
  const map = requests.find((r) => r[0] === 2)!
  t.is(map.length, 60)
  t.deepEqual([...map.subarray(8, 24)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1])
  await mapping.close()
  const deletion = requests.at(-1)!
  t.is(deletion.readUInt32BE(4), 0)
  t.deepEqual(deletion.subarray(24, 36), map.subarray(24, 36))
  t.deepEqual(events, ['port-mapped', 'port-unmapped'])
})
