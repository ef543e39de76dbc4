// An always-on node that others reach unasked becomes a persistent DHT node (it routes
// for others); one behind an ordinary home NAT stays ephemeral. dht-rpc (6.27) decides
// this itself about 20 minutes after a start without network change
// (docs/decisions/port-mapping.md), so this test waits that long: `npm run test:long`,
// not part of `npm test`. Root, namespaces and miniupnpd, as test/e2e/nat-portmap.test.ts.
import path from 'node:path'
import test from 'ava'
import { labsForFile } from '../helpers/netlab.ts'
import { cliKey } from '../helpers/storage.ts'

const lab = labsForFile()

// dht-rpc's 240 ticks of 5 s, and room for its check and a loaded machine.
const WAIT_MS = 26 * 60_000

test('nodes in a DMZ and behind a router that maps their port turn persistent; one behind a port-restricted NAT stays ephemeral', async (t) => {
  t.timeout(WAIT_MS + 5 * 60_000)
  const l = await lab(t, [
    { name: 'dmz', nat: 'dmz' },
    { name: 'up', nat: 'port-restricted', portMapping: {} },
    { name: 'prc', nat: 'port-restricted' }
  ])
  if (l === null) return t.pass()
  const { run, work } = l
  const client = path.join(work, 'client')
  const [dmz, up, prc] = await Promise.all(['dmz', 'up', 'prc'].map((name) => run.node(name, name, { roles: [], trustedKeys: [cliKey(client)] })))
  const started = Date.now()
  const persistent = (n: typeof dmz) => n.node.waitFor('dht-reachability', WAIT_MS, (e) => e.persistent === true)
  const [a, b] = await Promise.all([persistent(dmz), persistent(up)])
  t.log(`persistent after ${((Date.now() - started) / 60_000).toFixed(1)} min: dmz ${JSON.stringify(a)}, up ${JSON.stringify(b)}`)
  t.like(a, { firewalled: false, persistent: true, remoteAddress: `${run.lab.homes.dmz.wanAddress}:49737` })
  t.like(b, { firewalled: false, persistent: true, remoteAddress: `${run.lab.homes.up.wanAddress}:49737` })
  // The doctor says so too, asked by key from the port-restricted home.
  const d = await run.roost('prc', ['doctor', up.key, '--json', '--timeout', '50000'], { home: client, timeoutMs: 60_000 })
  t.is(d.code, 0, d.stderr)
  t.like(JSON.parse(d.stdout), { dhtMode: 'persistent', reachable: true, verdict: { code: 'direct' } })
  // Behind the port-restricted NAT, the same time later: never persistent.
  t.false(prc.node.events.some((e) => e.event === 'dht-reachability' && e.persistent === true))
  const p = await run.roost('prc', ['doctor', '--storage', path.join(work, 'prc'), '--json', '--timeout', '50000'], { home: client, timeoutMs: 60_000 })
  t.is(p.code, 0, p.stderr)
  t.like(JSON.parse(p.stdout), { dhtMode: 'ephemeral', reachable: false })
})
