// Asks the home router to map the DHT's UDP port, so that peers reach the node unasked:
// NAT-PMP (RFC 6886) first, then UPnP IGD. The lease is renewed at half its lifetime,
// asked again when the router restarted and forgot it (NAT-PMP's epoch went back) or a
// renewal failed, and deleted when the node stops. PCP (RFC 6887) is not spoken: the
// routers that speak it speak NAT-PMP on the same port too (miniupnpd, most firmware).
// docs/decisions/port-mapping.md says why the DHT learns of it by itself.
import type { Logger } from '../log.ts'
import { findGateway, type Gateway } from './gateway.ts'
import {
  NAT_PMP_PORT, epochWentBack, externalAddressRequest, mapUdpRequest, readExternalAddressReply, readMapUdpReply, resultReason
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
}

type Attempt = Held | { reason: string }

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
    if (address.result !== 0) return { reason: resultReason(address.result) }
    const [mapped] = await exchange({ to, message: mapUdpRequest(port, port, lifetimeSeconds), read: (m, from) => fromRouter(from) ? readMapUdpReply(m) : null, tries: 3, firstWaitMs: 250 })
    if (mapped === undefined) return { reason: `the router ${gateway.address} answered NAT-PMP but not the mapping request` }
    if (mapped.result !== 0) return { reason: resultReason(mapped.result) }
    return {
      protocol: 'nat-pmp', internalPort: port, externalAddress: address.address, externalPort: mapped.externalPort,
      lifetimeSeconds: mapped.lifetimeSeconds, gateway, epoch: { epoch: mapped.epoch, atMs: now() }
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
    if (held?.protocol !== 'upnp-igd') {
      got = await natPmp(gateway, port, lease)
      if ('reason' in got) { reasons.push(`NAT-PMP: ${got.reason}`); got = null }
    }
    if (got === null) {
      const attempt = await upnp(gateway, port, held?.igd)
      if ('reason' in attempt) reasons.push(`UPnP: ${attempt.reason}`)
      else got = attempt
    }
    if (closed && got !== null) { await release(got); return current }
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
    }
    // Half the lease, as RFC 6886 asks; a permanent mapping is checked now and then.
    schedule(got.lifetimeSeconds === 0 ? PERMANENT_REFRESH_MS : got.lifetimeSeconds * 500, () => ask(port, true))
    return current
  }

  function fail (port: number, reason: string): PortMappingState {
    const had = held
    held = null
    current = { ...PORT_MAPPING_OFF, phase: 'failed', internalPort: port, reason }
    log('port-mapping-failed', { internalPort: port, reason, ...(had !== null ? { lost: `${had.externalAddress}:${had.externalPort}` } : {}) })
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
        return await ask(port, false)
      })
    },
    async close () {
      if (closed) return
      closed = true
      if (timer !== null) clearTimeout(timer)
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
