// The main job, end to end on this machine: build the node, start a local testnet and
// two nodes on Bare, and show one reaching the other by public key; then the operator
// reads the home node's status and a stranger is refused.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadOrCreateIdentity } from '../../node/identity.ts'
import { encodeKey } from '../../node/keys.ts'
import type { CommandSpec, ParsedFlags } from '../args.ts'
import { buildLocal, startNode, thisMachineBoard, writeConfig } from '../local-node.ts'
import { connectToNode } from '../network.ts'
import { watchNode, type NodeProcess } from '../node-process.ts'

export const spec: CommandSpec = {
  name: 'demo',
  summary: 'Show roost\'s main job on this machine: build the node, start a local testnet and two\n' +
    'nodes on Bare; one reaches the other by public key. Everything is removed afterwards.',
  usage: 'roost demo',
  flags: {}
}

const say = (line: string): void => { process.stdout.write(line + '\n') }

export async function run (_flags: ParsedFlags): Promise<number> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-demo-'))
  const nodes: NodeProcess[] = []
  let testnet: Awaited<ReturnType<typeof createTestnet>> | null = null
  try {
    const board = thisMachineBoard()
    say(`1. building the node for this machine (board ${board.id}, ${board.host}, Bare)`)
    const started = performance.now()
    const { outDir, manifest } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    say(`   built in ${((performance.now() - started) / 1000).toFixed(1)} s: bundle ${(manifest.bundle.bytes / 1024).toFixed(0)} KiB, ` +
      `${manifest.addons.length} native addons, Bare ${manifest.runtime.version}`)

    testnet = await createTestnet(3, { host: '127.0.0.1' })
    const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`)
    say(`2. local HyperDHT testnet on loopback: bootstrap ${bootstrap[0]}`)

    const operatorDir = path.join(work, 'operator')
    const operatorKey = encodeKey(loadOrCreateIdentity(operatorDir).keyPair.publicKey)
    const home = await launch(outDir, work, 'home', { bootstrap, operatorKey, peers: [] }, board)
    nodes.push(home.proc)
    say(`3. home node running on Bare, public key ${home.key}`)

    const second = await launch(outDir, work, 'second', { bootstrap, operatorKey: null, peers: [home.key] }, board)
    nodes.push(second.proc)
    say(`4. second node running on Bare, public key ${second.key}; it knows only the home node's key`)
    const reached = await second.proc.waitFor('peer-reached', 30_000)
    say(`   second node reached the home node by public key: connected in ${reached.connectMs} ms, round trip ${reached.rttMs} ms`)

    const session = await connectToNode({ bootstrap, identity: operatorDir }, home.key)
    try {
      const status = await session.control.status()
      say(`5. operator (key ${operatorKey.slice(0, 8)}…) asks the home node for its status:`)
      say(`   board ${status.boardId}, ${status.host} on ${status.runtime}, version ${status.version}, ` +
        `up ${(status.uptimeMs / 1000).toFixed(1)} s, ${status.storageBytes} bytes stored, ${status.connections} peers connected`)
    } finally {
      await session.close()
    }
    const stranger = await connectToNode({ bootstrap, identity: path.join(work, 'stranger') }, home.key)
    try {
      await stranger.control.status()
      say('   a stranger got the status: this is a bug')
      return 1
    } catch (err) {
      const e = err as Error & { code?: string }
      say(`6. a stranger's key asks too and is refused: ${e.code}: ${e.message}`)
    } finally {
      await stranger.close()
    }

    for (const node of nodes.splice(0).reverse()) {
      const { code } = await node.stop()
      if (code !== 0) throw new Error(`a node exited with ${code} on SIGTERM`)
    }
    say('7. both nodes stopped cleanly on SIGTERM; demo done')
    return 0
  } finally {
    for (const node of nodes) await node.stop()
    await testnet?.destroy()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function launch (artifactDir: string, work: string, name: string,
  opts: { bootstrap: string[], operatorKey: string | null, peers: string[] },
  board: ReturnType<typeof thisMachineBoard>): Promise<{ proc: NodeProcess, key: string }> {
  const configFile = path.join(work, `${name}.json`)
  writeConfig(configFile, {
    ...defaultConfig(board),
    storage: path.join(work, name),
    bootstrap: opts.bootstrap,
    operatorKey: opts.operatorKey,
    peers: opts.peers,
    roles: [],
    pingIntervalMs: 1000
  })
  const proc = watchNode(startNode(artifactDir, 'bare', configFile, 'pipe'))
  const ready = await proc.waitFor('ready', 30_000)
  return { proc, key: String(ready.publicKey) }
}
