// The bridge's connection to the local MQTT broker (Mosquitto on the board), with
// mqtt.js as published: the same code runs on Node.js and, bundled, on Bare, where the
// build maps mqtt.js's Node builtins to Bare modules (targets/bare/builtins.ts).
// On Bare only mqtt:// over TCP is in the bundle: no TLS or WebSocket transport.
import { connect, type IClientOptions, type MqttClient } from 'mqtt'

export interface BrokerOptions {
  clientId?: string
  username?: string
  password?: string
  clean?: boolean
}

export function connectBroker (url: string, opts: BrokerOptions = {}): MqttClient {
  // Only the options given: mqtt.js spreads these over its defaults, so an undefined
  // `clean` would replace its default `true`.
  const given = Object.fromEntries(Object.entries(opts).filter(([, value]) => value !== undefined)) as IClientOptions
  return connect(url, given)
}
