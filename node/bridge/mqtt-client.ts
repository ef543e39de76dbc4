// The bridge's connection to the local MQTT broker (Mosquitto on the board), with
// mqtt.js as published: the same code runs on Node.js and, bundled, on Bare, where the
// build maps mqtt.js's Node builtins to Bare modules (targets/bare/builtins.ts).
// On Bare the bundle has mqtt:// over TCP and mqtts:// over TLS (bare-tls), no WebSocket.
import fs from '#fs'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'

export interface BrokerOptions {
  clientId?: string
  username?: string
  password?: string
  clean?: boolean
  // PEM file of the CA(s) that the mqtts:// broker's certificate must chain to; without
  // one, the runtime's default roots (Node.js's, or bare-tls's bundled Mozilla roots).
  caFile?: string
}

export function connectBroker (url: string, opts: BrokerOptions = {}): MqttClient {
  // Only the options given: mqtt.js spreads these over its defaults, so an undefined
  // `clean` would replace its default `true`.
  const { caFile, ...rest } = opts
  const given = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as IClientOptions
  // Read on every connect, so a renewed CA file is picked up when the bridge restarts.
  if (caFile !== undefined) given.ca = fs.readFileSync(caFile)
  return connect(url, given)
}
