// A real Mosquitto broker for one test (tools/harness/mosquitto.ts), and subscribers,
// stopped when the test ends, passed or failed. A missing binary fails the test with the
// command that installs it (never a skip).
import type { ExecutionContext } from 'ava'
import * as harness from '../../tools/harness/mosquitto.ts'
import type { Broker, Login, Subscriber } from '../../tools/harness/mosquitto.ts'
import { tmpDir } from './tmp.ts'

export { publish, type Broker, type Login, type Message, type Subscriber } from '../../tools/harness/mosquitto.ts'

// Tests read the broker's connection lines too (protocol version, clean session, user).
export async function startMosquitto (t: ExecutionContext, settings: string[] = [], opts: { login?: Login } = {}): Promise<Broker> {
  const broker = await harness.startMosquitto({ settings, login: opts.login, logConnections: true })
  t.teardown(() => broker.close())
  return broker
}

// Mosquitto with its plain listener and a TLS one, with the CA that signed it and one that did not.
export async function startTlsMosquitto (t: ExecutionContext, settings: string[] = [], opts: { login?: Login } = {}) {
  const tls = await harness.startTlsMosquitto(tmpDir(t), { settings, login: opts.login, logConnections: true })
  t.teardown(() => tls.broker.close())
  return tls
}

export function subscribe (t: ExecutionContext, broker: Broker, topic: string, qos: 0 | 1 | 2 = 1): Subscriber {
  const subscriber = harness.subscribe(broker, topic, qos)
  t.teardown(() => subscriber.stop())
  return subscriber
}
