// `roost doctor` against a real Bare node on a HyperDHT testnet on loopback: by key and as
// this machine's node (its storage folder), in words and as JSON; an unreachable key
// fails with its code within the run's deadline. What it reports behind NATs is proven
// in the netlab (doctor-nat.test.ts).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { buildLocal } from '../../tools/harness/local-node.ts'
import { roost } from '../helpers/cli.ts'
import { launchNode } from '../helpers/nodes.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const board = loadBoard('x86-64-mini-pc')
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-e2e-doctor-'))
const artifact = buildLocal(board, 'bare', path.join(buildDir, 'artifact'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

// A Bare node that trusts the client whose ROOST_HOME is `clientHome`.
async function trustedNode (t: Parameters<typeof launchNode>[0]) {
  const { bootstrap } = await startTestnet(t)
  const work = tmpDir(t)
  const clientHome = tmpDir(t)
  const clientKey = encodeKey(loadOrCreateIdentity(path.join(clientHome, 'client')).keyPair.publicKey)
  const { outDir } = await artifact
  const node = launchNode(t, { artifactDir: outDir, runtime: 'bare', board, work, name: 'home', config: { bootstrap, trustedKeys: [clientKey] } })
  const key = String((await node.waitFor('ready')).publicKey)
  return { node, key, bootstrap, clientHome, clientKey, dataDir: path.join(work, 'home') }
}

test.serial('roost doctor KEY --json reports the node\'s network, its clock, this connection among its peers and a verdict', async (t) => {
  const { node, key, bootstrap, clientHome, clientKey } = await trustedNode(t)
  // On loopback nothing stands between the DHT nodes: the node is reachable from the start.
  const seen = await node.waitFor('reachability', 10_000)
  t.is(seen.reachable, true)
  const result = await roost(['doctor', key, '--json', '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(result.code, 0, result.stderr)
  const report = JSON.parse(result.stdout)
  t.is(report.node, key)
  t.is(report.reachable, true)
  t.is(report.verdict.code, 'direct')
  t.is(report.verdict.words, 'reachable directly: any peer can connect to it')
  t.deepEqual(report.verdict.advice, [])
  t.is(report.nat, 'consistent')
  t.true(['ephemeral', 'persistent'].includes(report.dhtMode))
  t.is(report.publicAddress.host, '127.0.0.1')
  t.is(report.publicAddress.port, report.localAddress.port)
  t.deepEqual(report.portMapping, { phase: 'off', protocol: null, internalPort: null, externalAddress: null, externalPort: null, expiresAt: null, reason: 'the DHT runs on loopback: there is no router to ask' })
  t.deepEqual(report.relays, [])
  t.is(report.serverRelayed, false)
  t.is(report.dht.bootstrapped, true)
  t.is(report.dht.bootstrapNodes, 1)
  t.true(report.dht.routingNodes > 0)
  t.deepEqual(report.peers.filter((p: { peer: string }) => p.peer === clientKey), [{ peer: clientKey, relayed: false, relay: null }])
  t.deepEqual(report.connection.relayed, false)
  // The same machine's clock: the skew is within the request's round trip and scheduling.
  t.true(Math.abs(report.clockSkewMs) < 5000, String(report.clockSkewMs))
})

test.serial('roost doctor on the node\'s machine finds it by its storage folder and prints the verdict in words', async (t) => {
  const { key, bootstrap, clientHome, dataDir } = await trustedNode(t)
  const result = await roost(['doctor', '--storage', dataDir, '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, new RegExp(`^node      ${key} \\(roost \\S+, x86-64-mini-pc, up [\\d.]+ min\\)$`, 'm'))
  t.regex(result.stdout, /^verdict   reachable directly: any peer can connect to it$/m)
  t.regex(result.stdout, /^nat       consistent: /m)
  t.regex(result.stdout, /^reachable yes: /m)
  t.regex(result.stdout, /^address   127\.0\.0\.1:(\d+) as DHT nodes see its requests; listens on \S+:\1$/m)
  t.regex(result.stdout, /^mapping   off$/m)
  t.regex(result.stdout, /^relays    none configured$/m)
  t.regex(result.stdout, /^dht       (ephemeral|persistent) node; \d+ nodes in its routing table; bootstrapped from 1 configured bootstrap node; online$/m)
  t.regex(result.stdout, /^peers     1 connected: 1 direct, 0 relayed$/m)
  t.regex(result.stdout, /^clock     [+-][\d.]+ s against this machine \(±\d+ ms\)$/m)
  t.regex(result.stdout, /^nothing to change\.$/m)
  t.log(result.stdout)
})

test.serial('roost status carries the network section: keys encoded in --json, one network row in words', async (t) => {
  const { key, bootstrap, clientHome, clientKey } = await trustedNode(t)
  const json = await roost(['status', '--peer', key, '--json', '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(json.code, 0, json.stderr)
  const { network } = JSON.parse(json.stdout)
  t.like(network, { nat: 'consistent', reachable: true, publicHost: '127.0.0.1', bootstrapped: true, health: 'online', bootstrapNodes: 1, relays: [], serverRelayed: false })
  t.deepEqual(network.peers, [{ peer: clientKey, relay: null }])
  t.true(Math.abs(network.clockMs - Date.now()) < 60_000)
  const words = await roost(['status', '--peer', key, '--bootstrap', bootstrap[0]], { home: clientHome })
  t.is(words.code, 0, words.stderr)
  t.regex(words.stdout, /^network  NAT consistent, reachable, (ephemeral|persistent) DHT node, seen at 127\.0\.0\.1:\d+; port mapping off; peers 1 direct, 0 relayed \(`roost doctor` explains\)$/m)
})

test.serial('roost doctor of a key no node has fails with UNREACHABLE within its deadline, saying what it waited for', async (t) => {
  const { bootstrap } = await startTestnet(t)
  const nobody = encodeKey(crypto.keyPair().publicKey)
  const result = await roost(['doctor', nobody, '--timeout', '3000', '--bootstrap', bootstrap[0]], { home: tmpDir(t), timeoutMs: 30_000 })
  t.is(result.code, 1, result.stdout)
  t.is(result.stdout, '')
  t.regex(result.stderr, new RegExp(`^UNREACHABLE: no report from ${nobody} within 3 s: waited for a connection to it through the DHT \\(could not reach `, 'm'))
  t.regex(result.stderr, /^hint: /m)
})

test.serial('roost doctor from a key the node does not trust is refused with NOT_TRUSTED and a hint', async (t) => {
  const { key, bootstrap } = await trustedNode(t)
  const result = await roost(['doctor', key, '--bootstrap', bootstrap[0]], { home: tmpDir(t) })
  t.is(result.code, 1, result.stdout)
  t.regex(result.stderr, /^NOT_TRUSTED: /m)
  t.regex(result.stderr, /^hint: the node answers only keys it trusts/m)
})

test.serial('roost doctor with a storage folder that holds no node fails with NO_NODE', async (t) => {
  const empty = tmpDir(t)
  const result = await roost(['doctor', '--storage', empty], { home: tmpDir(t) })
  t.is(result.code, 1, result.stdout)
  t.regex(result.stderr, new RegExp(`^NO_NODE: no node identity in ${empty}$`, 'm'))
})
