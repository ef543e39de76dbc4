// The home peer: identity, DHT, a server on the node's public key and the control
// channel on every connection. Roles plug in here as they are built.
import b4a from 'b4a'
import type { NoiseSecretStream, Server } from 'hyperdht'
import type HyperDHT from 'hyperdht'
import type { NodeConfig } from './config/types.ts'
import { openControlChannel, type ControlHandlers } from './protocol/channel.ts'
import type { NodeStatus } from './protocol/messages.ts'
import type { NetworkStatus } from './protocol/network-messages.ts'
import { Refusal, type Refused } from './protocol/refusals.ts'
import type { NodeError } from './errors.ts'
import { chooseBindHost, createDht, DHT_PORT, isLoopback, watchReachability as watchDhtReachability } from './network/dht.ts'
import { createPortMapping, noPortMapping, type PortMapping } from './network/port-mapping.ts'
import type { PortMappingState } from './network/port-mapping-state.ts'
import { nodeFacts, nodeHealth } from './health.ts'
import { loadOrCreateIdentity, type KeyPair } from './identity/identity.ts'
import { decodeKey, encodeKey } from './identity/keys.ts'
import type { Logger } from './log.ts'
import { watchPeers, type PeerWatch } from './network/peers.ts'
import { useRelays, type Relays } from './network/relays.ts'
import { readNetwork, watchReachability } from './network/reachability.ts'
import { hostName, roostVersion, runtimeName } from './platform/facts.ts'
import { folderBytes } from './folder-bytes.ts'
import { rememberErrors } from './recent-errors.ts'
import { loadOrCreateFeedKey } from './feeds/feed-key.ts'
import { createFeeds, type Feeds } from './feeds/feeds.ts'
import type { BridgeRole } from './roles/bridge.ts'
import type { LanIngestRole } from './roles/lan-ingest.ts'
import type { RelayRole } from './roles/relay.ts'
import type { StorageRole } from './roles/storage.ts'
import { startHeapTrim, type HeapTrim } from './platform/heap-trim.ts'
import { takeInvite } from './trust/invites.ts'
import { openTrust } from './trust/trust.ts'
import type { Store } from './storage/corestore.ts'

// Roles this version runs; the others are accepted in config and reported as pending.
const IMPLEMENTED_ROLES: string[] = ['bridge', 'storage', 'lan-ingest', 'relay']

export interface RoostNode {
  publicKey: Uint8Array
  ready (): Promise<void>
  close (): Promise<void>
  status (): NodeStatus
  // What the home router maps for the DHT (status and `roost doctor` read it).
  portMapping: { state (): PortMappingState }
}

export function createNode (config: NodeConfig, baseLog: Logger): RoostNode {
  const startedAt = Date.now()
  // Every part of the node logs through this, so its health can list its last errors.
  const errors = rememberErrors(baseLog)
  const log = errors.log
  // Identity errors (permissions, corruption) surface here, before anything listens.
  const identity = loadOrCreateIdentity(config.dataDir)
  const trust = openTrust(config.dataDir, config.trustedKeys, config.operatorKey)
  const operator = config.operatorKey ? b4a.toString(decodeKey('operatorKey', config.operatorKey), 'hex') : null
  const keyPair: KeyPair = identity.keyPair
  const connections = new Set<NoiseSecretStream>()
  // Log a refused key once per process, so a peer retrying cannot flood the log.
  const refusedLogged = new Set<string>()
  const notOperatorLogged = new Set<string>()
  // Besides the trusted keys, the relay serves the node's peers and the relay section's keys.
  const relayKeys = new Set([...config.peers, ...config.relay.keys].map((k) => b4a.toString(decodeKey('relay keys', k), 'hex')))

  let dht: HyperDHT | null = null
  let server: Server | null = null
  let peers: PeerWatch | null = null
  let bridgeRole: BridgeRole | null = null
  let lanRole: LanIngestRole | null = null
  let storageRole: StorageRole | null = null
  let relayRole: RelayRole | null = null
  let relays: Relays | null = null
  const bindHost = chooseBindHost(config.bootstrap, config.host)
  const portMapping: PortMapping = !config.portMapping
    ? noPortMapping()
    : bindHost !== undefined && isLoopback(bindHost)
      ? noPortMapping('the DHT runs on loopback: there is no router to ask')
      : createPortMapping({ log, onMapped: () => dhtReachability?.recheck() })
  // dht.ts's watcher re-runs the DHT's firewall check once a port is mapped; reachability.ts's
  // logs what the status's network section says when it changes.
  let dhtReachability: { recheck (): void } | null = null
  let reachability: { close (): void } | null = null
  let heapTrim: HeapTrim | null = null
  // One corestore for every role that keeps hypercores: one rocksdb, one set of buffers.
  let store: Store | null = null
  // One set of feeds for every role that writes readings (feeds.ts).
  let feeds: Feeds | null = null
  let opening: Promise<void> | null = null
  let closing: Promise<void> | null = null

  function status (): NodeStatus {
    return {
      publicKey: keyPair.publicKey,
      ...nodeFacts(config, startedAt),
      storageBytes: folderBytes(config.dataDir),
      connections: connections.size,
      feeds: feeds ? feeds.list().map(({ name, length }) => ({ name, length })) : [],
      bridge: bridgeRole ? bridgeRole.bridge.stats() : null,
      storage: storageRole ? storageRole.keeper.status() : null,
      lanIngest: lanRole ? lanRole.stats() : null,
      relay: relayRole ? relayRole.stats() : null,
      network: network()
    }
  }

  function network (): NetworkStatus | null {
    if (dht === null || relays === null) return null
    return readNetwork({ dht, relays, connections: () => connections, portMapping: () => portMapping.state(), bootstrapNodes: config.bootstrap.length })
  }

  function isTrusted (remotePublicKey: Uint8Array): boolean {
    return trust.has(remotePublicKey)
  }

  function mayRelay (remotePublicKey: Uint8Array): boolean {
    return trust.has(remotePublicKey) || relayKeys.has(b4a.toString(remotePublicKey, 'hex'))
  }

  function isOperator (remotePublicKey: Uint8Array): boolean {
    return operator !== null && b4a.toString(remotePublicKey, 'hex') === operator
  }

  function refuseUntrusted (remotePublicKey: Uint8Array, request: string): Refused | null {
    if (isTrusted(remotePublicKey)) return null
    const remote = encodeKey(remotePublicKey)
    if (!refusedLogged.has(remote)) {
      refusedLogged.add(remote)
      log('refused', { peer: remote, request, reason: 'key not trusted' })
    }
    return Refusal.NOT_TRUSTED(remote)
  }

  // Health shows memory, errors and uptime: the operator's to see, not every trusted key's.
  function refuseNotOperator (remotePublicKey: Uint8Array): Refused | null {
    if (isOperator(remotePublicKey)) return null
    const remote = encodeKey(remotePublicKey)
    if (!notOperatorLogged.has(remote)) {
      notOperatorLogged.add(remote)
      log('refused', { peer: remote, request: 'health', reason: 'not the operator key' })
    }
    return Refusal.NOT_OPERATOR(remote)
  }

  const handlers: ControlHandlers = {
    status: (remote) => refuseUntrusted(remote, 'status') ?? status(),
    health: (remote) => refuseNotOperator(remote) ??
      nodeHealth({ config, startedAt, errors, bridge: () => bridgeRole, storage: () => storageRole, lanIngest: () => lanRole }),
    feeds: (remote) => {
      const refused = refuseUntrusted(remote, 'feeds')
      if (refused) return refused
      if (!feeds) return Refusal.NO_FEEDS()
      return { feedKey: feeds.feedKey, feeds: feeds.list() }
    },
    publish: async (remote, request) => {
      const refused = refuseUntrusted(remote, 'publish')
      if (refused) return refused
      if (!bridgeRole) return Refusal.NO_BRIDGE()
      try {
        await bridgeRole.bridge.publish(request.topic, request.payload, request.qos === 1 ? 1 : 0)
        log('command-published', { peer: encodeKey(remote), topic: request.topic })
        return null
      } catch (err) {
        log('command-refused', { peer: encodeKey(remote), topic: request.topic, reason: (err as Error).message })
        return Refusal.COMMAND_REFUSED((err as Error).message)
      }
    },
    pair: async (remote, secret) => {
      const peer = encodeKey(remote)
      const refused = takeInvite(config.dataDir, secret, Date.now())
      if (refused) {
        log('pair-refused', { peer, code: refused.code })
        return refused
      }
      trust.add(remote)
      refusedLogged.delete(peer)
      log('paired', { peer })
      return null
    },
    keep: async (remote, request) => {
      const refused = refuseUntrusted(remote, 'keep')
      if (refused) return refused
      if (!storageRole) return Refusal.NO_STORAGE()
      // The newest connection from that key: the node follows the core while it lasts.
      const socket = [...connections].reverse().find((s) => b4a.equals(s.remotePublicKey, remote)) ?? null
      return await storageRole.keeper.keep(remote, request, socket)
    },
    drop: async (remote, key) => {
      const refused = refuseUntrusted(remote, 'drop')
      if (refused) return refused
      if (!storageRole) return Refusal.NO_STORAGE()
      return await storageRole.keeper.drop(remote, key, isOperator(remote))
    },
    holdings: async (remote, keys) => {
      const refused = refuseUntrusted(remote, 'holdings')
      if (refused) return refused
      if (!storageRole) return Refusal.NO_STORAGE()
      return storageRole.keeper.holdings(remote, isOperator(remote), keys)
    }
  }

  function onConnection (socket: NoiseSecretStream): void {
    const peer = encodeKey(socket.remotePublicKey)
    connections.add(socket)
    // Malformed frames or a peer vanishing mid-message end that connection only.
    socket.on('error', (err: Error & { code?: string }) => log('peer-error', { peer, code: err.code ?? 'ERROR', reason: err.message }))
    socket.on('close', () => connections.delete(socket))
    openControlChannel(socket, handlers)
    // Anyone may replicate what the node serves; feeds are encrypted, so a reader
    // without the feed key gets ciphertext only.
    if (store) store.replicate(socket)
    storageRole?.attach(socket)
    const relay = relays?.path(socket).relay ?? null
    log('peer-connected', relay === null ? { peer } : { peer, relay: encodeKey(relay) })
  }

  async function startBridge (settings: NonNullable<NodeConfig['bridge']>): Promise<void> {
    // roles/bridge is a bundle of its own on the device, loaded only here.
    const { startBridgeRole, openStore } = await import('./roles/bridge.ts')
    store ??= await openStore(config.dataDir, { memtableBytes: config.storagePeer.memtableBytes })
    feeds ??= createFeeds(store, loadOrCreateFeedKey(config.dataDir))
    // A stable client id keeps the broker session (and its queued QoS 1 messages)
    // across restarts.
    const clientId = settings.clientId ?? `roost-${encodeKey(keyPair.publicKey).slice(0, 16)}`
    bridgeRole = await startBridgeRole(feeds, config.dataDir, settings, clientId, log)
  }

  // A role that cannot start (its port taken, its state unreadable) is logged with its
  // code and hint; the node serves on without it.
  async function startLanIngest (settings: NonNullable<NodeConfig['lanIngest']>): Promise<void> {
    const { startLanIngestRole, openStore } = await import('./roles/lan-ingest.ts')
    store ??= await openStore(config.dataDir, { memtableBytes: config.storagePeer.memtableBytes })
    feeds ??= createFeeds(store, loadOrCreateFeedKey(config.dataDir))
    try {
      lanRole = await startLanIngestRole({ feeds, dataDir: config.dataDir, settings, bridgeRules: config.bridge?.rules ?? [], log })
    } catch (err) {
      const e = err as NodeError
      log('lan-ingest-error', { code: e.code ?? 'LAN_INGEST_FAILED', reason: e.message, hint: e.hint })
    }
  }

  // Like lan-ingest: a relay that cannot listen is logged, and the node serves on.
  async function startRelay (): Promise<void> {
    const { startRelayRole } = await import('./roles/relay.ts')
    try {
      relayRole = await startRelayRole({ dht: dht!, identity: keyPair, mayRelay, settings: config.relay, log })
    } catch (err) {
      const e = err as NodeError
      log('relay-error', { code: e.code ?? 'RELAY_FAILED', reason: e.message, hint: e.hint })
    }
  }

  async function openStorage (): Promise<void> {
    const role = await import('./roles/storage.ts')
    store ??= await role.openStore(config.dataDir, { memtableBytes: config.storagePeer.memtableBytes })
    const listening = server!
    storageRole = role.startStorageRole({
      store,
      dht: dht!,
      keyPair,
      dataDir: config.dataDir,
      settings: config.storagePeer,
      log,
      isTrusted,
      relayAddresses: () => listening.relayAddresses ?? []
    })
  }

  async function open (): Promise<void> {
    if (config.roles.includes('bridge') && config.bridge) await startBridge(config.bridge)
    if (config.roles.includes('lan-ingest') && config.lanIngest) await startLanIngest(config.lanIngest)
    // The DHT's own key pair is the identity: hyperdht reaches relays with it, and a
    // relay lets in only keys it trusts.
    // Mapped before the DHT bootstraps, whose first firewall check then finds the node
    // reachable; a router that maps nothing costs a few seconds here, once.
    await portMapping.map(DHT_PORT)
    dht = createDht({ bootstrap: config.bootstrap, host: config.host, keyPair })
    relays = useRelays(dht, config.relays.map((k) => decodeKey('relays', k)))
    server = dht.createServer({ relayThrough: relays.forServer }, onConnection)
    await server.listen(keyPair)
    const dhtPort = dht.localAddress()?.port
    if (dhtPort !== undefined && dhtPort !== DHT_PORT) await portMapping.map(dhtPort)
    dhtReachability = watchDhtReachability(dht, log, () => portMapping.state().phase === 'mapped')
    if (config.roles.includes('storage')) await openStorage()
    if (config.roles.includes('relay')) await startRelay()
    const address = dht.address()
    heapTrim = startHeapTrim()
    log('ready', {
      publicKey: encodeKey(keyPair.publicKey),
      host: hostName(),
      runtime: runtimeName,
      version: roostVersion,
      boardId: config.boardId,
      roles: config.roles,
      identity: identity.created ? 'created' : 'loaded',
      dhtAddress: `${address.host}:${address.port}`,
      bootstrap: config.bootstrap.length > 0 ? config.bootstrap.map((b) => `${b.host}:${b.port}`) : 'public',
      heapTrim: heapTrim.running
    })
    for (const role of config.roles) {
      if (!IMPLEMENTED_ROLES.includes(role)) log('role-pending', { role, reason: 'not part of this roost version yet' })
      else if (role === 'bridge' && !config.bridge) log('role-pending', { role, reason: 'no broker configured (bridge section of the config)' })
      else if (role === 'lan-ingest' && !config.lanIngest) log('role-pending', { role, reason: 'no lanIngest section in the config (port and devices)' })
    }
    reachability = watchReachability(() => network()!, log)
    if (config.peers.length > 0) peers = watchPeers(dht, keyPair, config.peers, config.pingIntervalMs, log, relays)
  }

  async function shutdown (): Promise<void> {
    await opening?.catch(() => {})
    peers?.close()
    reachability?.close()
    heapTrim?.close()
    trust.close()
    // Readings first: what is in flight is stored before the network goes.
    if (bridgeRole) await bridgeRole.close()
    if (lanRole) await lanRole.close()
    if (feeds) await feeds.close()
    if (storageRole) await storageRole.close()
    if (store) await store.close()
    if (relayRole) await relayRole.close()
    for (const socket of connections) socket.destroy()
    await portMapping.close()
    if (server) await server.close()
    if (dht) await dht.destroy()
    log('closed', { uptimeMs: Date.now() - startedAt })
  }

  return {
    publicKey: keyPair.publicKey,
    ready () {
      opening ??= open()
      return opening
    },
    close () {
      closing ??= shutdown()
      return closing
    },
    status,
    portMapping: { state: () => portMapping.state() }
  }
}
