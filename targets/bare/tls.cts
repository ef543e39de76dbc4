// Node's `tls` for Bare, as far as mqtt.js's mqtts:// transport uses it:
// tls.connect({ host, port, servername, ca, rejectUnauthorized }) and 'secureConnect'.
// bare-tls (BoringSSL) wraps a bare-tcp socket directly; its own connect() would pull in
// bare-net and with it bare-pipe (see BARE_REPLACED_MODULES). bare-tls completes the
// handshake only once the broker's certificate chains to `ca` (or, without one, to its
// bundled Mozilla roots) and names the host, IP literals matched against IP SANs; a failed
// check is an 'error' (CERTIFICATE_VERIFY_FAILED), never a connection.
const tcp = require('bare-tcp')
const { NodeError } = require('../../node/errors.ts') as typeof import('../../node/errors.ts')

// bare-tls is loaded for an mqtts:// broker only: mqtt.js requires this module with its
// other transports whatever the scheme, and BoringSSL's pages once loaded are 1.8 MiB of
// a bridge node's resident memory.
let bareTls: { Socket: new (raw: unknown, options: object) => any } | null = null
function tlsSocket (): new (raw: unknown, options: object) => any {
  bareTls ??= loadBareTls()
  return bareTls.Socket
}

// An artifact built for a config without an mqtts:// broker goes without bare-tls
// (targets/artifact.ts): the bridge logs this error and keeps retrying.
function loadBareTls (): { Socket: new (raw: unknown, options: object) => any } {
  try {
    return require('bare-tls')
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err
    throw NodeError.BROKER_TLS_NOT_BUILT()
  }
}

type Pem = string | Uint8Array
interface ConnectOptions {
  host?: string
  port?: number
  servername?: string
  ca?: Pem | Pem[]
  cert?: Pem
  key?: Pem
  rejectUnauthorized?: boolean
  [key: string]: unknown
}

// Node takes PEM as a string, a Buffer or an array of either; bare-tls one Buffer.
function pem (value: Pem | Pem[] | undefined): Uint8Array | null {
  if (value === undefined || value === null) return null
  const parts = (Array.isArray(value) ? value : [value]).map((part) => typeof part === 'string' ? Buffer.from(part) : part)
  return Buffer.concat(parts.flatMap((part) => [part, Buffer.from('\n')]))
}

function connect (options: ConnectOptions, onsecure?: () => void): unknown {
  const host = options.host ?? 'localhost'
  const rejectUnauthorized = options.rejectUnauthorized !== false
  // Node's default of closing once the broker has ended (see net.cts).
  const raw = tcp.createConnection({ port: options.port, host, allowHalfOpen: false })
  const Socket = tlsSocket()
  const socket = new Socket(raw, {
    host: options.servername ?? host,
    ca: pem(options.ca),
    cert: pem(options.cert),
    key: pem(options.key),
    rejectUnauthorized,
    allowHalfOpen: false
  })
  // Node's TLSSocket.authorized: with rejectUnauthorized the handshake fails unless the
  // chain verified; without it bare-tls does not say, so it is not claimed.
  socket.authorized = false
  socket.on('connect', () => {
    socket.authorized = rejectUnauthorized
    socket.emit('secureConnect')
  })
  if (onsecure) socket.once('secureConnect', onsecure)
  // upstream(bare-tls@3.1.11): it ends on the broker's close_notify but not on a bare TCP FIN, and it never
  // closes when the TCP socket does: mqtt.js reconnects on 'close'.
  raw.on('close', () => socket.destroy())
  return socket
}

module.exports = { connect }
Object.defineProperty(module.exports, 'TLSSocket', { enumerable: true, get: tlsSocket })
