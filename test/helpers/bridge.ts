import path from 'node:path'
import type { ExecutionContext } from 'ava'
import { connect, type MqttClient } from 'mqtt'
import { BRIDGE_DEFAULTS, type NodeConfigFile } from '../../node/config/types.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { buildLocal } from '../../tools/harness/local-node.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'
import { readFeed } from './feeds.ts'
import { launchNode } from './nodes.ts'
import { tmpDir } from './tmp.ts'

// The node config of a bridge that stores every `meter/#` reading as a number in feed
// "meter".
function meterBridgeConfig (brokerUrl: string, clientId: string, bootstrap: string[]): Partial<NodeConfigFile> {
  return {
    bootstrap,
    roles: ['bridge'],
    bridge: {
      broker: brokerUrl,
      caFile: null,
      clientId,
      username: null,
      password: null,
      rules: [{ filter: 'meter/#', feed: 'meter', decoder: 'number' }],
      commandTopics: [],
      ...BRIDGE_DEFAULTS
    }
  }
}

// One meter bridge node on Bare, built once and started again and again over the same
// storage: the durability and burst tests kill it and start it many times.
export interface MeterBridge {
  dataDir: string
  // Starts the node and waits until it is connected to the broker.
  start (): Promise<NodeProcess>
}

export async function meterBridge (t: ExecutionContext, brokerUrl: string, clientId: string, bootstrap: string[]): Promise<MeterBridge> {
  const board = loadBoard('x86-64-mini-pc')
  const work = tmpDir(t)
  const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
  const config = meterBridgeConfig(brokerUrl, clientId, bootstrap)
  return {
    dataDir: path.join(work, 'home'),
    async start () {
      const node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name: 'home', config })
      await node.waitFor('broker-connected', 20_000)
      return node
    }
  }
}

// An MQTT client that publishes the readings, connected; ended when the test ends.
export async function meterPublisher (t: ExecutionContext, brokerUrl: string, clientId: string): Promise<MqttClient> {
  const publisher: MqttClient = connect(brokerUrl, { clientId })
  t.teardown(() => { publisher.end(true) })
  await new Promise<void>((resolve) => publisher.once('connect', () => resolve()))
  return publisher
}

// The numbers in the node's "meter" feed, in order, read from its storage while the
// node is stopped.
export async function readMeterFeed (dataDir: string): Promise<number[]> {
  return (await readFeed(dataDir, 'meter')).map((r) => Number(Buffer.from(r.payload).toString()))
}
