// What the node knows of the port mapping it asked its home router for (NAT-PMP, PCP or
// UPnP IGD). The mapping's client (port-mapping.ts) writes it; the status reply and
// `roost doctor` read it. Kept apart so that both sides share one shape.
export type PortMappingProtocol = 'nat-pmp' | 'pcp' | 'upnp-igd'

export type PortMappingPhase =
  | 'off' // the config turns port mapping off
  | 'asking' // looking for a router that maps ports, or asking it
  | 'mapped' // the router maps externalAddress:externalPort to the DHT's port
  | 'failed' // no router answered, or it refused: `reason` says which

export interface PortMappingState {
  phase: PortMappingPhase
  protocol: PortMappingProtocol | null
  // The node's UDP port that is mapped (the DHT's).
  internalPort: number | null
  externalAddress: string | null
  externalPort: number | null
  // When the lease ends (ms since the epoch); the client renews it at half its lifetime.
  expiresAt: number | null
  // Why the last attempt failed, in words a user can act on.
  reason: string | null
}

export const PORT_MAPPING_OFF: PortMappingState = {
  phase: 'off',
  protocol: null,
  internalPort: null,
  externalAddress: null,
  externalPort: null,
  expiresAt: null,
  reason: null
}
