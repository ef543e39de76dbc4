// Asks the home router to map the DHT's UDP port, so that peers reach the node unasked:
// NAT-PMP (RFC 6886) first; PCP (RFC 6887) when the router answers NAT-PMP with
// "unsupported version" (a PCP-only router); then UPnP IGD. The lease is renewed at half
// its lifetime, asked again when the router restarted and forgot it (its announcement,
// or its epoch went back) or a renewal failed, and deleted when the node stops.
// docs/decisions/port-mapping.md says why the DHT learns of it by itself.
import type { Logger } from '../log.ts'
import { findGateway, type Gateway } from './gateway.ts'
import dgram, { type UdpSocket } from '#dgram'
import crypto from 'hypercore-crypto'
import { pcpMapRequest, pcpResultReason, readPcpMapReply } from './pcp.ts'
import {
  ANNOUNCE_GROUP, ANNOUNCE_PORT, NAT_PMP_PORT, epochWentBack, readAnnouncement, externalAddressRequest, mapUdpRequest, readExternalAddressReply, readMapUdpReply, resultReason
} from './nat-pmp.ts'
import { PORT_MAPPING_OFF, type PortMappingProtocol, type PortMappingState } from './port-mapping-state.ts'
import { exchange } from './udp-exchange.ts'
import { addPortMappingArgs, discoverIgd, externalAddressOf, soap, type IgdService } from './upnp-igd.ts'

// RFC 6886 §3.3 recommends two hours.
export const LEASE_SECONDS = 7200
// A router that answered nothing may be switched on, or have UPnP turned on, later.
const RETRY_MS = 10 * 60_000
// A permanent UPnP mapping (routers that take no lease) is added again this often, in
// case the router restarted and forgot it.
const PERMANENT_REFRESH_MS = 30 * 60_000

export interface PortMapping {
  state (): PortMappingState
  // Maps `port`, or moves the mapping to it; resolves once the router answered or
  // every protocol gave up (a few seconds when no router speaks either).
  map (port: number): Promise<PortMappingState>
  // Deletes the mapping (bounded: the node is stopping) and stops renewing.
  close (): Promise<void>
}

export interface PortMappingOptions {
  log: Logger
  // Where the router is; tests point it at a stand-in.
  gateway?: () => Gateway | { reason: string }
  natPmpPort?: number
  // Listen for the router's restart announcements (off in unit tests, which share a host).
  announcements?: boolean
  // Called each time a mapping is made (not on renewals of the same one).
  onMapped?: () => void
  leaseSeconds?: number
  now?: () => number
}

interface Held {
  protocol: PortMappingProtocol
  internalPort: number
  externalAddress: string
  externalPort: number
  // Seconds; 0 for a permanent UPnP mapping.
  lifetimeSeconds: number
  gateway: Gateway
  // NAT-PMP's epoch when last heard, and when.
  epoch?: { epoch: number, atMs: number }
  igd?: IgdService
  // PCP's nonce: renewals and the deletion must carry the one the mapping was made with.
  nonce?: Uint8Array
}

type Attempt = Held | { reason: string, unsupportedVersion?: boolean }

// A node whose config turns mapping off, or whose DHT runs on loopback: nothing is asked.
export function noPortMapping (reason: string | null = null): PortMapping {
  const state = { ...PORT_MAPPING_OFF, reason }
  return { state: () => state, map: async () => state, close: async () => {} }
}

export function createPortMapping (opts: PortMappingOptions): PortMapping {
  const log = opts.log
  const now = opts.now ?? Date.now
  const lease = opts.leaseSeconds ?? LEASE_SECONDS
  const natPmpPort = opts.natPmpPort ?? NAT_PMP_PORT
  const locate = opts.gateway ?? findGateway
  let current: PortMappingState = { ...PORT_MAPPING_OFF, phase: 'asking' }
  let held: Held | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let closed = false
  let listener: UdpSocket | null = null
  let mappedPort: number | null = null
  // One exchange with the router at a time: a renewal never races a close.
  let queue: Promise<unknown> = Promise.resolve()
  function serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn)
    queue = run.catch(() => {})
    return run
  }

  function schedule (ms: number, fn: () => Promise<unknown>): void {
    if (timer !== null) clearTimeout(timer)
    if (closed) return
    timer = setTimeout(() => { timer = null; void serial(fn) }, ms)
    // A pending renewal must not keep a stopping node alive.
    ;(timer as { unref?: () => void }).unref?.()
  }

  async function natPmp (gateway: Gateway, port: number, lifetimeSeconds: number): Promise<Attempt> {
    const to = { host: gateway.address, port: natPmpPort }
    const fromRouter = (from: { address: string }): boolean => from.address === gateway.address
    const [address] = await exchange({ to, message: externalAddressRequest(), read: (m, from) => fromRouter(from) ? readExternalAddressReply(m) : null, tries: 2, firstWaitMs: 250 })
    if (address === undefined) return { reason: `no NAT-PMP answer from the router ${gateway.address}:${natPmpPort}` }
    if (address.result !== 0) return { reason: resultReason(address.result), unsupportedVersion: address.result === 1 }
    const [mapped] = await exchange({ to, message: mapUdpRequest(port, port, lifetimeSeconds), read: (m, from) => fromRouter(from) ? readMapUdpReply(m) : null, tries: 3, firstWaitMs: 250 })
    if (mapped === undefined) return { reason: `the router ${gateway.address} answered NAT-PMP but not the mapping request` }
    if (mapped.result !== 0) return { reason: resultReason(mapped.result) }
    return {
      protocol: 'nat-pmp', internalPort: port, externalAddress: address.address, externalPort: mapped.externalPort,
      lifetimeSeconds: mapped.lifetimeSeconds, gateway, epoch: { epoch: mapped.epoch, atMs: now() }
    }
  }

  async function pcp (gateway: Gateway, port: number, lifetimeSeconds: number, known: Uint8Array | undefined): Promise<Attempt> {
    const nonce = known ?? crypto.randomBytes(12)
    const [mapped] = await exchange({
      to: { host: gateway.address, port: natPmpPort },
      message: pcpMapRequest({ clientAddress: gateway.localAddress, nonce, internalPort: port, externalPort: port, lifetimeSeconds }),
      read: (m, from) => from.address === gateway.address ? readPcpMapReply(m, nonce) : null,
      tries: 2,
      firstWaitMs: 250
    })
    if (mapped === undefined) return { reason: `no PCP answer from the router ${gateway.address}:${natPmpPort}` }
    if (mapped.result !== 0) return { reason: pcpResultReason(mapped.result) }
    return {
      protocol: 'pcp', internalPort: port, externalAddress: mapped.externalAddress, externalPort: mapped.externalPort,
      lifetimeSeconds: mapped.lifetimeSeconds, gateway, epoch: { epoch: mapped.epoch, atMs: now() }, nonce
    }
  }

  async function upnp (gateway: Gateway, port: number, known: IgdService | undefined): Promise<Attempt> {
    const igd = known ?? await discoverIgd(gateway.address)
    if ('reason' in igd) return igd
    let lifetimeSeconds = lease
    let added = await soap(igd, 'AddPortMapping', addPortMappingArgs({ port, externalPort: port, localAddress: gateway.localAddress, leaseSeconds: lifetimeSeconds }))
    if (!added.ok && added.errorCode === 725) {
      lifetimeSeconds = 0
      added = await soap(igd, 'AddPortMapping', addPortMappingArgs({ port, externalPort: port, localAddress: gateway.localAddress, leaseSeconds: 0 }))
    }
    if (!added.ok) return { reason: added.reason }
    const external = await soap(igd, 'GetExternalIPAddress', [])
    const externalAddress = external.ok ? externalAddressOf(external.body) : null
    if (externalAddress === null) return { reason: `the router ${gateway.address} mapped the port but did not say its external address` }
    return { protocol: 'upnp-igd', internalPort: port, externalAddress, externalPort: port, lifetimeSeconds, gateway, igd }
  }

  // A router that restarted announces it at once: the mapping it forgot is asked for
  // again then, not at the next renewal (up to an hour later); a router that was down
  // when the node last asked is asked again. Without the group (another program holds
  // the port without sharing it), renewals still find out.
  function listen (gateway: Gateway): void {
    if (listener !== null || opts.announcements === false) return
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true })
    listener = socket
    socket.on('error', () => { socket.close(); if (listener === socket) listener = null })
    socket.on('message', (message, from) => {
      const epoch = readAnnouncement(message)
      if (epoch === null || from.address !== gateway.address || closed || mappedPort === null) return
      const h = held
      if (h !== null && (h.epoch === undefined || !epochWentBack(h.epoch, epoch, now()))) return
      const port = mappedPort
      void serial(() => ask(port, true))
    })
    socket.bind(ANNOUNCE_PORT, '0.0.0.0', () => {
      try { socket.addMembership(ANNOUNCE_GROUP) } catch { socket.close(); if (listener === socket) listener = null }
    })
  }

  function mappedState (h: Held): PortMappingState {
    return {
      phase: 'mapped',
      protocol: h.protocol,
      internalPort: h.internalPort,
      externalAddress: h.externalAddress,
      externalPort: h.externalPort,
      expiresAt: h.lifetimeSeconds === 0 ? null : now() + h.lifetimeSeconds * 1000,
      reason: null
    }
  }

  // The protocol that worked keeps being used; NAT-PMP first on a first ask.
  async function ask (port: number, renewal: boolean): Promise<PortMappingState> {
    if (closed) return current
    const gateway = held?.gateway ?? locate()
    if ('reason' in gateway) return fail(port, gateway.reason)
    const reasons: string[] = []
    let got: Attempt | null = null
    let pcpToo = held?.protocol === 'pcp'
    if (held === null || held.protocol === 'nat-pmp') {
      const attempt = await natPmp(gateway, port, lease)
      if ('reason' in attempt) {
        reasons.push(`NAT-PMP: ${attempt.reason}`)
        pcpToo = attempt.unsupportedVersion === true
      } else got = attempt
    }
    if (got === null && pcpToo) {
      const attempt = await pcp(gateway, port, lease, held?.nonce)
      if ('reason' in attempt) reasons.push(`PCP: ${attempt.reason}`)
      else got = attempt
    }
    if (got === null) {
      const attempt = await upnp(gateway, port, held?.igd)
      if ('reason' in attempt) reasons.push(`UPnP: ${attempt.reason}`)
      else got = attempt
    }
    if (closed && got !== null) { await release(got); return current }
    listen(gateway)
    if (got === null) return fail(port, reasons.join('; '))
    const before = held
    held = got
    const restarted = before?.epoch !== undefined && got.epoch !== undefined && epochWentBack(before.epoch, got.epoch.epoch, now())
    const changed = !renewal || before === null || before.externalAddress !== got.externalAddress || before.externalPort !== got.externalPort || before.protocol !== got.protocol
    current = mappedState(got)
    if (changed || restarted) {
      log('port-mapped', {
        protocol: got.protocol,
        external: `${got.externalAddress}:${got.externalPort}`,
        internalPort: port,
        leaseSeconds: got.lifetimeSeconds,
        ...(restarted ? { after: 'router-restarted' as const } : {})
      })
      opts.onMapped?.()
    }
    // Half the lease, as RFC 6886 asks; a permanent mapping is checked now and then.
    schedule(got.lifetimeSeconds === 0 ? PERMANENT_REFRESH_MS : got.lifetimeSeconds * 500, () => ask(port, true))
    return current
  }

  function fail (port: number, reason: string): PortMappingState {
    const had = held
    const again = current.phase === 'failed' && current.reason === reason
    held = null
    current = { ...PORT_MAPPING_OFF, phase: 'failed', internalPort: port, reason }
    // A router that keeps answering the same "no" is logged once, not every retry.
    if (!again || had !== null) log('port-mapping-failed', { internalPort: port, reason, ...(had !== null ? { lost: `${had.externalAddress}:${had.externalPort}` } : {}) })
    schedule(RETRY_MS, () => ask(port, false))
    return current
  }

  async function release (h: Held): Promise<void> {
    if (h.protocol === 'nat-pmp') {
      // RFC 6886 §3.4: lifetime 0 and external port 0 delete the mapping.
      await exchange({
        to: { host: h.gateway.address, port: natPmpPort },
        message: mapUdpRequest(h.internalPort, 0, 0),
        read: (m) => readMapUdpReply(m),
        tries: 2,
        firstWaitMs: 250
      })
    } else if (h.protocol === 'pcp' && h.nonce !== undefined) {
      const nonce = h.nonce
      await exchange({
        to: { host: h.gateway.address, port: natPmpPort },
        message: pcpMapRequest({ clientAddress: h.gateway.localAddress, nonce, internalPort: h.internalPort, externalPort: 0, lifetimeSeconds: 0 }),
        read: (m) => readPcpMapReply(m, nonce),
        tries: 2,
        firstWaitMs: 250
      })
    } else if (h.igd !== undefined) {
      await soap(h.igd, 'DeletePortMapping', [['NewRemoteHost', ''], ['NewExternalPort', h.externalPort], ['NewProtocol', 'UDP']])
    }
    log('port-unmapped', { protocol: h.protocol, external: `${h.externalAddress}:${h.externalPort}` })
  }

  return {
    state: () => current,
    map (port) {
      return serial(async () => {
        if (held !== null && held.internalPort === port) return current
        if (held !== null) {
          const old = held
          held = null
          await release(old)
        }
        current = { ...current, phase: 'asking', internalPort: port }
        mappedPort = port
        return await ask(port, false)
      })
    },
    async close () {
      if (closed) return
      closed = true
      if (timer !== null) clearTimeout(timer)
      listener?.close()
      listener = null
      await serial(async () => {
        if (held === null) return
        const h = held
        held = null
        await release(h)
        current = { ...PORT_MAPPING_OFF, phase: 'off' }
      })
    }
  }
}
