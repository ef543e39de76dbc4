// Ambient types for the untyped Holepunch packages, covering only what roost uses.
declare module 'hypercore-crypto' {
  interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }
  const crypto: {
    keyPair (seed?: Uint8Array): KeyPair
    randomBytes (n: number): Uint8Array
    hash (data: Uint8Array | Uint8Array[]): Uint8Array
    discoveryKey (publicKey: Uint8Array): Uint8Array
    sign (message: Uint8Array, secretKey: Uint8Array): Uint8Array
    verify (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
  }
  export default crypto
}

declare module 'hypercore-id-encoding' {
  const idEncoding: {
    encode (key: Uint8Array): string
    decode (id: string): Uint8Array
    normalize (id: string | Uint8Array): string
    isValid (id: string | Uint8Array): boolean
  }
  export default idEncoding
}

declare module 'hyperdht' {
  import type { EventEmitter } from 'events'

  interface KeyPair { publicKey: Uint8Array, secretKey: Uint8Array }
  interface HostPort { host: string, port: number }

  // A UDX stream (udx-native): the byte counters count relayed packets too.
  export interface RawStream extends EventEmitter {
    id: number
    connected: boolean
    remoteHost: string | null
    remotePort: number
    bytesReceived: number
    destroyed: boolean
    destroy (err?: Error): void
  }

  export interface NoiseSecretStream extends EventEmitter {
    remotePublicKey: Uint8Array
    publicKey: Uint8Array
    rawStream: RawStream | null
    setKeepAlive (ms: number): void
    write (data: Uint8Array): boolean
    end (): void
    destroy (err?: Error): void
    destroyed: boolean
    opened: Promise<boolean>
  }

  export interface Server extends EventEmitter {
    relayAddresses: HostPort[]
    listen (keyPair?: KeyPair): Promise<void>
    close (): Promise<void>
    address (): (HostPort & { publicKey: Uint8Array }) | null
  }

  interface DHTOptions {
    bootstrap?: Array<string | HostPort>
    host?: string
    port?: number
    anyPort?: boolean
    keyPair?: KeyPair
    ephemeral?: boolean
    firewalled?: boolean
  }

  // The relay (or relays, one picked at random) a connection goes through while hole
  // punching runs; a function is called with no arguments as each connection starts.
  type RelayThrough = Uint8Array | Uint8Array[] | null | (() => Uint8Array | Uint8Array[] | null)

  interface ConnectOptions {
    keyPair?: KeyPair
    relayAddresses?: HostPort[]
    relayThrough?: RelayThrough
    // Called with both sides' NAT facts; false gives up hole punching (HOLEPUNCH_ABORTED).
    holepunch?: (...facts: unknown[]) => boolean
  }

  interface ServerOptions {
    // true refuses the connection.
    firewall?: (remotePublicKey: Uint8Array, remotePayload: unknown, clientAddress: HostPort) => boolean
    relayThrough?: RelayThrough
    holepunch?: (...facts: unknown[]) => boolean
  }

  export interface LookupReply { peers: Array<{ publicKey: Uint8Array, relayAddresses: HostPort[] }> }

  export interface QueryStream extends AsyncIterable<LookupReply> {
    finished (): Promise<void>
    destroy (): void
  }

  export default class HyperDHT extends EventEmitter {
    constructor (opts?: DHTOptions)
    static keyPair (seed?: Uint8Array): KeyPair
    static bootstrapper (port: number, host: string, opts?: DHTOptions): HyperDHT
    static BOOTSTRAP: string[]
    defaultKeyPair: KeyPair
    destroyed: boolean
    // What the DHT has learnt of its NAT: randomized behind one that changes the port
    // for every destination (symmetric), firewalled while no one can reach it unasked.
    randomized: boolean
    firewalled: boolean
    // The NAT sampler's address:port as DHT nodes saw it (null, 0 before enough answers;
    // port 0 when randomized).
    host: string | null
    port: number
    // Ephemeral: kept out of other nodes' routing tables (dht-rpc's adaptive mode turns a
    // reachable, stable node persistent and emits 'persistent').
    ephemeral: boolean
    bootstrapped: boolean
    online: boolean
    degraded: boolean
    // The routing table's nodes.
    nodes: { length: number }
    // The server socket's local address (its port is the one a router must map).
    localAddress (): HostPort | null
    // The address others reach unasked; null while firewalled or the port is not kept.
    remoteAddress (): HostPort | null
    ready (): Promise<void>
    fullyBootstrapped (): Promise<void>
    address (): HostPort
    createServer (opts?: ServerOptions | ((socket: NoiseSecretStream) => void),
      onconnection?: (socket: NoiseSecretStream) => void): Server
    connect (publicKey: Uint8Array, opts?: ConnectOptions): NoiseSecretStream
    createRawStream (opts?: { framed?: boolean, firewall?: unknown }): RawStream
    announce (topic: Uint8Array, keyPair: KeyPair, relayAddresses?: HostPort[]): QueryStream
    unannounce (topic: Uint8Array, keyPair: KeyPair): Promise<void>
    lookup (topic: Uint8Array): QueryStream
    destroy (opts?: { force?: boolean }): Promise<void>
  }
}

declare module 'blind-relay' {
  import type { EventEmitter } from 'events'
  import type { NoiseSecretStream, RawStream } from 'hyperdht'

  export interface RelaySession extends EventEmitter {
    closed: boolean
    destroy (err?: Error): void
    end (): Promise<void>
  }

  export class Server extends EventEmitter {
    constructor (opts: { createStream: (opts: object) => RawStream })
    stats: {
      sessions: { accepted: number, opened: number, closed: number, active: number }
      pairings: { requested: number, matched: number, cancelled: number, pending: number, active: number }
      streams: { opened: number, closed: number, errors: number, active: number }
    }
    accept (stream: NoiseSecretStream, opts?: { id?: Uint8Array }): RelaySession
    close (): Promise<void>
  }

  export class Client extends EventEmitter {
    // hyperdht makes one per connection to a relay; from() returns that one.
    static _clients: WeakMap<object, Client>
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht'
  interface Testnet {
    nodes: HyperDHT[]
    bootstrap: Array<{ host: string, port: number }>
    createNode (opts?: object): HyperDHT
    destroy (): Promise<void>
  }
  export default function createTestnet (size?: number, opts?: { host?: string, port?: number, bootstrap?: Array<{ host: string, port: number }> }): Promise<Testnet>
}

declare module 'protomux' {
  interface State { start: number, end: number, buffer: Uint8Array | null }
  interface Encoder<T> {
    preencode (state: State, value: T): void
    encode (state: State, value: T): void
    decode (state: State): T
  }

  export interface Message<T> {
    send (value: T): boolean
    onmessage: ((value: T) => void) | null
  }

  export interface Channel {
    open (handshake?: unknown): void
    close (): void
    closed: boolean
    opened: boolean
    addMessage<T> (opts: { encoding: Encoder<T>, onmessage?: (value: T) => void }): Message<T>
  }

  export default class Protomux {
    static from (stream: unknown): Protomux
    createChannel (opts: {
      protocol: string
      id?: Uint8Array | null
      unique?: boolean
      onopen?: () => void
      onclose?: () => void
    }): Channel | null
  }
}

declare module 'bare-fs' {
  const fs: { writeSync (fd: number, data: Uint8Array, offset?: number): number }
  export default fs
}

declare module 'bare-hrtime' {
  const hrtime: { bigint (): bigint }
  export default hrtime
}

declare module 'bare-os' {
  const os: {
    platform (): string
    arch (): string
    // Bytes, from libuv and V8.
    memoryUsage (): { rss: number, heapTotal: number, heapUsed: number, external: number }
    // maxRSS in KiB on Linux, as getrusage(2) reports it.
    resourceUsage (): { maxRSS: number }
    networkInterfaces (): Record<string, Array<{ address: string, family: 'IPv4' | 'IPv6', internal: boolean }>>
  }
  export default os
}

declare module 'bare-signals' {
  export default class Signal {
    constructor (signal: string)
    on (event: 'signal', handler: () => void): this
    start (): this
    unref (): void
  }
}

declare module 'corestore' {
  export default class Corestore {
    constructor (storage: string, opts?: Record<string, unknown>)
  }
}

declare module 'blind-peer-muxer' {
  export interface CoresRequest {
    cores: Array<{ key: Uint8Array, length: number }>
    priority: number
    announce: boolean
    referrer: Uint8Array | null
  }
  export default class BlindPeerMuxer {
    constructor (stream: unknown, handlers?: { oncores?: (request: CoresRequest) => void | Promise<void>, onclose?: () => void })
    static pair (stream: unknown, notify: () => void): void
    close (): void
  }
}

declare module 'hypercore' {
  export default class Hypercore {
    constructor (opts: { core: unknown, weak?: boolean })
  }
}

declare module 'rocksdb-native' {
  export default class RocksDB {
    static constants: {
      garbageCollectionPolicy: { DEFAULT: number, FORCE: number, DISABLE: number }
      bottommostLevelCompaction: { NONE: number, SKIP: number, FORCE: number }
    }
  }
}

declare module 'sodium-universal' {
  // The XChaCha20-Poly1305 and Poly1305 calls the LAN ingest vectors and tests use.
  // decrypt throws when the tag does not verify.
  const sodium: {
    crypto_aead_xchacha20poly1305_ietf_encrypt (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
    crypto_aead_xchacha20poly1305_ietf_decrypt (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
    crypto_stream_chacha20_ietf (c: Uint8Array, n: Uint8Array, k: Uint8Array): void
    crypto_stream_chacha20_ietf_xor_ic (c: Uint8Array, m: Uint8Array, n: Uint8Array, ic: number, k: Uint8Array): void
    crypto_stream_xchacha20 (c: Uint8Array, n: Uint8Array, k: Uint8Array): void
    crypto_onetimeauth (out: Uint8Array, input: Uint8Array, k: Uint8Array): void
    randombytes_buf (buf: Uint8Array): void
    randombytes_buf_deterministic (buf: Uint8Array, seed: Uint8Array): void
  }
  export default sodium
}
