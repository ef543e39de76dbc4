// What the node sees of its network, as its status carries it (appended after the relay's
// counters, codec.ts withTrailing): its NAT as the DHT sampled it, whether it is reachable
// unasked, its DHT node, the port mapping it asked its router for, its relays, the path
// of each connection, and its wall clock. `roost doctor` turns it into a verdict
// (tools/client/doctor.ts). Each message is its interface and its field table, in wire
// order (codec.ts).
import c from 'compact-encoding'
import { maybe, oneOf, struct } from './codec.ts'
import type { PortMappingPhase, PortMappingProtocol, PortMappingState } from '../network/port-mapping-state.ts'

// How the NAT in front of the node maps its port, from what DHT nodes saw of it (hyperdht's
// NAT sampler): `consistent` one address:port for every destination (cone, port-restricted,
// a DMZ or no NAT), `random` another port per destination (symmetric), `unknown` before
// enough DHT nodes answered. New names go last.
export const NAT_BEHAVIOURS = ['unknown', 'consistent', 'random'] as const
export type NatBehaviour = typeof NAT_BEHAVIOURS[number]

// dht-rpc's view of its traffic: `degraded` when many requests time out.
export const DHT_HEALTHS = ['online', 'degraded', 'offline'] as const
export type DhtHealth = typeof DHT_HEALTHS[number]

// A connection open now: the key at its other end, and the relay it goes through (null
// when it is direct).
export interface PeerPath { peer: Uint8Array, relay: Uint8Array | null }

export interface NetworkStatus {
  // The node's wall clock as it answered (ms since the epoch): a client compares it
  // with its own for the clock skew.
  clockMs: number
  nat: NatBehaviour
  // False once DHT nodes reached the node's port unasked (hyperdht's `firewalled`). An
  // adaptive DHT node re-checks about every 20 minutes, so a reachable node may say
  // true for that long after it starts.
  reachable: boolean
  // A persistent DHT node stores records and routes for others; an ephemeral one (behind
  // a NAT, or not yet proven reachable) only asks.
  persistent: boolean
  // The address:port DHT nodes see the node at; the port is null when the NAT
  // randomises it, both null before enough answers.
  publicHost: string | null
  publicPort: number | null
  // This device's own address and the UDP port the DHT listens on: what a router would
  // forward to.
  localHost: string | null
  localPort: number
  bootstrapped: boolean
  health: DhtHealth
  // Nodes in the DHT's routing table.
  routingNodes: number
  // Bootstrap nodes the config names; 0 means the public ones.
  bootstrapNodes: number
  portMapping: PortMappingState
  // The relays the config names, and whether the node's server names them now (its NAT
  // randomises ports).
  relays: Uint8Array[]
  serverRelayed: boolean
  peers: PeerPath[]
}

const MAPPING_PHASES: readonly PortMappingPhase[] = ['off', 'asking', 'mapped', 'failed']
const MAPPING_PROTOCOLS: readonly PortMappingProtocol[] = ['nat-pmp', 'pcp', 'upnp-igd']

export const portMappingState = struct<PortMappingState>('port mapping', [
  ['phase', oneOf('port mapping phase', MAPPING_PHASES)],
  ['protocol', maybe('port mapping protocol', oneOf('port mapping protocol', MAPPING_PROTOCOLS))],
  ['internalPort', maybe('internal port', c.uint)],
  ['externalAddress', maybe('external address', c.string)],
  ['externalPort', maybe('external port', c.uint)],
  ['expiresAt', maybe('lease end', c.uint)],
  ['reason', maybe('port mapping reason', c.string)]
])

const peerPath = struct<PeerPath>('peer path', [['peer', c.fixed32], ['relay', maybe('peer relay', c.fixed32)]])

const networkStatus = struct<NetworkStatus>('network status', [
  ['clockMs', c.uint], ['nat', oneOf('nat behaviour', NAT_BEHAVIOURS)], ['reachable', c.bool], ['persistent', c.bool],
  ['publicHost', maybe('public host', c.string)], ['publicPort', maybe('public port', c.uint)],
  ['localHost', maybe('local host', c.string)], ['localPort', c.uint],
  ['bootstrapped', c.bool], ['health', oneOf('dht health', DHT_HEALTHS)], ['routingNodes', c.uint], ['bootstrapNodes', c.uint],
  ['portMapping', portMappingState], ['relays', c.array(c.fixed32)], ['serverRelayed', c.bool], ['peers', c.array(peerPath)]
])

// A leading 0 means none (a node before it); 1 then the section.
export const optionalNetworkStatus = maybe('network status', networkStatus)
