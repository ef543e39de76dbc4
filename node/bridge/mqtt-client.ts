// The bridge's connection to the local MQTT broker (Mosquitto on the board), with
// mqtt.js as published: the same code runs on Node.js and, bundled, on Bare, where the
// build maps mqtt.js's Node builtins to Bare modules (targets/bare/builtins.ts).
// On Bare the bundle has mqtt:// over TCP and mqtts:// over TLS (bare-tls), no WebSocket.
import fs from '#fs'
import b4a from 'b4a'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { NodeError } from '../errors.ts'
import { fileProblem, readPrivateFile } from '../identity/secret-file.ts'

export interface BrokerOptions {
  clientId?: string
  username?: string
  password?: string
  // File holding the password, read at each connect, so the secret is not in config.json.
  passwordFile?: string
  clean?: boolean
  // 4 is MQTT 3.1.1 (mqtt.js's default), 5 is MQTT 5.
  protocolVersion?: 4 | 5
  // PEM file of the CA(s) that the mqtts:// broker's certificate must chain to; without
  // one, the runtime's default roots (Node.js's, or bare-tls's bundled Mozilla roots).
  caFile?: string
}

// MQTT 5 ends a session when its connection closes unless the client asks for longer;
// 3.1.1 keeps a clean=false session until the broker expires it. The bridge needs its
// session to receive the QoS 1 readings published while it was away.
const SESSION_NEVER_EXPIRES = 0xFFFF_FFFF

// Throws a NodeError (BROKER_CA_FILE, BROKER_PASSWORD_FILE, BROKER_PASSWORD_PERMISSIONS)
// when a file it must read cannot be used.
export function connectBroker (url: string, opts: BrokerOptions = {}): MqttClient {
  // Only the options given: mqtt.js spreads these over its defaults, so an undefined
  // `clean` would replace its default `true`.
  const { caFile, passwordFile, ...rest } = opts
  const given = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as IClientOptions
  // Read on every connect, so a renewed CA or password file is picked up when the
  // bridge restarts.
  if (caFile !== undefined) given.ca = readCaFile(caFile)
  if (passwordFile !== undefined) given.password = readPasswordFile(passwordFile)
  if (given.protocolVersion === 5 && given.clean === false) {
    given.properties = { ...given.properties, sessionExpiryInterval: SESSION_NEVER_EXPIRES }
  }
  // upstream(mqtt@5.16.0): it gives up for good when the broker refuses a CONNECT (bad password, unknown
  // client): a node on a board keeps trying, as the broker's users may be fixed later.
  given.reconnectOnConnackError ??= true
  // mqtt.js formats a debug line for each packet, and `debug` is not on in the node
  // anyway: the node's own log says what happened to the broker (bridge.ts).
  given.log ??= ignoreDebugLine
  // mqtt-packet otherwise builds, on the first packet it writes, a 2-byte Buffer for
  // every packet id and length up to 65,535 and keeps them: 6.3 MB of an idle node's
  // 19.6 MB of live V8 heap (heap snapshot, storage + bridge node on Bare). Without
  // it a PUBACK allocates its 2 bytes.
  given.writeCache ??= false
  return connect(url, given)
}

function ignoreDebugLine (): void {}

export function readCaFile (file: string): Buffer {
  const pem = readFileOr(file, NodeError.BROKER_CA_FILE)
  if (!b4a.toString(pem).includes('-----BEGIN CERTIFICATE-----')) {
    throw NodeError.BROKER_CA_FILE(file, 'it is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)')
  }
  return pem
}

// Like the node's other secrets (secret-file.ts), a password file others can read is
// refused. Messages name the file, never what it holds.
export function readPasswordFile (file: string): string {
  // Editors and `echo` end the file with a newline that is not part of the password.
  const password = b4a.toString(readPrivateFile(file, NodeError.BROKER_PASSWORD_FILE, NodeError.BROKER_PASSWORD_PERMISSIONS)).replace(/\r?\n$/, '')
  if (password === '') throw NodeError.BROKER_PASSWORD_FILE(file, 'it is empty')
  if (/[\r\n]/.test(password)) throw NodeError.BROKER_PASSWORD_FILE(file, 'it has more than one line (expected the password alone)')
  return password
}

function readFileOr (file: string, fail: (file: string, reason: string) => NodeError): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw fail(file, fileProblem(err))
  }
}

// CONNACK refusals: 3.1.1 return codes 4 and 5, MQTT 5 reason codes 134 and 135.
const NOT_AUTHORIZED = [4, 5, 134, 135]
// 3.1.1 return code 1 and MQTT 5 reason code 132: the broker does not speak this version.
const VERSION_REFUSED = [1, 132]

// What the bridge logs for an mqtt.js error: a stable code, and a hint for the
// refusals a user can fix in the config.
export function brokerError (err: Error, protocolVersion: 4 | 5): NodeError {
  if (err instanceof NodeError) return err
  const code = (err as { code?: unknown }).code
  if (typeof code === 'number' && NOT_AUTHORIZED.includes(code)) return NodeError.BROKER_NOT_AUTHORIZED(err.message)
  if (typeof code === 'number' && VERSION_REFUSED.includes(code)) return NodeError.BROKER_VERSION_REFUSED(protocolVersion, err.message)
  return NodeError.BROKER_ERROR(typeof code === 'string' && code !== '' ? code : null, err.message, err)
}

// The broker URL as logs show it: a password written into the URL becomes ***.
export function brokerForLog (url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i.exec(url)
  if (match === null) return url
  const user = match[2].split(':')[0]
  return `${match[1]}${match[2].includes(':') ? `${user}:***` : user}@${url.slice(match[0].length)}`
}
