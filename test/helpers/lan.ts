import path from 'node:path'
import type { ExecutionContext } from 'ava'
import type { ReadingRecord } from '../../node/bridge/record.ts'
import type { MappingRule } from '../../node/bridge/rules.ts'
import type { LanDevice, NodeConfigFile } from '../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import type { LanIngestStatus } from '../../node/protocol/lan-messages.ts'
import type { NodeStatus } from '../../node/protocol/messages.ts'
import { deviceAt } from '../../tools/client/device.ts'
import { nodeStatus } from '../../tools/client/status.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { freeUdpPort, newAgentKeys, openLanAgent, type AgentKeys, type LanAgent, type LanAgentOptions } from '../../tools/harness/lan-agent.ts'
import type { LaunchOptions } from '../../tools/harness/local-node.ts'
import type { NodeProcess } from '../../tools/harness/node-process.ts'
import { sharedArtifact } from './artifacts.ts'
import { readFeed } from './feeds.ts'
import { launchNode } from './nodes.ts'
import { tmpDir } from './tmp.ts'

// The rule every device of these tests has: `meter/…` readings as numbers in feed "meter".
export const METER_RULES: MappingRule[] = [{ filter: 'meter/#', feed: 'meter', decoder: 'number' }]

export function lanDevice (name: string, keys: AgentKeys = newAgentKeys(), rules: MappingRule[] = METER_RULES): LanDevice & AgentKeys {
  return { name, id: keys.id, key: keys.key, keyFile: null, rules }
}

// One lan-ingest node on Bare on 127.0.0.1, built once per test file and started again
// and again over the same storage, with a client key it trusts for its status.
export interface LanNode {
  dataDir: string
  // A ROOST_HOME whose CLI identity the node trusts.
  home: string
  port: number
  nodeKey: string | null
  // What start() launches, for a test that starts the node its own way.
  launch: LaunchOptions
  start (): Promise<NodeProcess>
  // The node's status as a key it trusts reads it over the DHT, and its lan-ingest part.
  status (): Promise<NodeStatus>
  lanStatus (): Promise<LanIngestStatus>
  // Every record in a feed, in order, read from storage while the node is stopped.
  readFeed (name?: string): Promise<ReadingRecord[]>
}

export async function lanNode (t: ExecutionContext, bootstrap: string[], devices: LanDevice[], extra: Partial<NodeConfigFile> = {}): Promise<LanNode> {
  const board = loadBoard('x86-64-mini-pc')
  const work = tmpDir(t)
  const { outDir } = await sharedArtifact(board.id)
  const port = await freeUdpPort()
  const clientDir = path.join(work, 'client')
  const client = deviceAt(clientDir, { bootstrap })
  const config: Partial<NodeConfigFile> = {
    bootstrap,
    roles: ['lan-ingest'],
    trustedKeys: [encodeKey(loadOrCreateIdentity(clientDir).keyPair.publicKey)],
    lanIngest: { port, host: '127.0.0.1', devices },
    ...extra
  }
  const launch: LaunchOptions = { artifactDir: outDir, runtime: 'bare', board, work, name: 'home', config }
  const node: LanNode = {
    dataDir: path.join(work, 'home'),
    home: work,
    port,
    nodeKey: null,
    launch,
    async start () {
      const proc = launchNode(t, launch)
      node.nodeKey = String((await proc.waitFor('ready', 30_000)).publicKey)
      await proc.waitFor('lan-ingest-listening', 10_000)
      return proc
    },
    status: async () => (await nodeStatus(client, node.nodeKey!)).status,
    lanStatus: async () => (await node.status()).lanIngest!,
    readFeed: (name = 'meter') => readFeed(node.dataDir, name)
  }
  return node
}

// A stand-in agent (tools/harness/lan-agent.ts), closed when the test ends.
export async function lanAgent (t: ExecutionContext, opts: LanAgentOptions): Promise<LanAgent> {
  const agent = await openLanAgent(opts)
  t.teardown(() => agent.close())
  return agent
}
