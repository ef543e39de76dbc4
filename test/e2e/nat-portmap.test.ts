// Port mapping through a home router that runs miniupnpd (tools/harness/netlab.ts): a
// real Bare node from the artifact asks its router for its DHT port (NAT-PMP, or UPnP
// IGD where NAT-PMP is off), becomes reachable unasked, so peers behind any NAT reach it
// directly and it can relay for two homes whose NATs both randomise ports; it deletes
// the mapping when it stops; with port mapping off it asks nothing; behind a router that
// maps nothing it says why and serves on. Root and miniupnpd-nftables (scripts/
// system-deps.sh); under CI a missing tool fails the run. Serial, like nat.test.ts.
import path from 'node:path'
import test from 'ava'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { relayKeyPair } from '../../node/relay/relay-key.ts'
import { labsForFile } from '../helpers/netlab.ts'
import { cliKey } from '../helpers/storage.ts'

const lab = labsForFile()

test.serial('a node behind a router running miniupnpd maps its DHT port, is reached directly from a cone and a symmetric home, maps it again when the router restarts, and deletes the mapping on SIGTERM', async (t) => {
  const l = await lab(t, [
    { name: 'up', nat: 'port-restricted', portMapping: {} },
    { name: 'cone', nat: 'cone' },
    { name: 'sym', nat: 'symmetric' }
  ])
  if (l === null) return t.pass()
  const { run, work } = l
  const up = run.lab.homes.up
  const clients = { cone: path.join(work, 'client-cone'), sym: path.join(work, 'client-sym') }
  const home = await run.node('home', 'up', { roles: ['storage'], trustedKeys: Object.values(clients).map(cliKey) })
  const mapped = await home.node.waitFor('port-mapped', 10_000)
  t.is(mapped.protocol, 'nat-pmp')
  t.is(mapped.external, `${up.wanAddress}:49737`)
  t.is(mapped.leaseSeconds, 7200)
  t.deepEqual(up.portMappings(), [`49737 → ${up.hostAddress}:49737`])
  // HyperDHT's own probes found the node reachable unasked.
  const reach = await home.node.waitFor('dht-reachability', 30_000)
  t.false(reach.firewalled, JSON.stringify(reach))
  t.is(reach.remoteAddress, `${up.wanAddress}:49737`)

  for (const from of ['cone', 'sym'] as const) {
    const r = await run.roost(from, ['ping', home.key, '--count', '1'], { home: clients[from], timeoutMs: 45_000 })
    t.is(r.code, 0, `${from}: ${r.stderr}`)
    t.regex(r.stdout, /^connected to \S+ in [\d.]+ ms, direct$/m, from)
    t.log(`${from} → mapped node: ${r.stdout.split('\n')[0]}`)
  }

  // roost doctor, asked by key from the cone home, shows the mapping and that the DHT
  // found the node reachable (the mapped verdict is for before hyperdht confirms it).
  const d = await run.roost('cone', ['doctor', home.key, '--json', '--timeout', '50000'], { home: clients.cone, timeoutMs: 60_000 })
  t.is(d.code, 0, d.stderr)
  const report = JSON.parse(d.stdout)
  t.like(report.portMapping, { phase: 'mapped', protocol: 'nat-pmp', internalPort: 49737, externalAddress: up.wanAddress, externalPort: 49737, reason: null })
  t.is(report.reachable, true)
  t.is(report.verdict.code, 'direct')

  // The router restarts and forgets (the lab checks its mappings are gone before the
  // daemon comes back): its announcement makes the node ask again at once.
  up.restartPortMapping()
  const again = await home.node.waitFor('port-mapped', 10_000, (e) => e.after === 'router-restarted')
  t.is(again.external, `${up.wanAddress}:49737`)
  t.deepEqual(up.portMappings(), [`49737 → ${up.hostAddress}:49737`])

  await home.node.stop(5000)
  t.truthy(home.node.events.find((e) => e.event === 'port-unmapped' && e.protocol === 'nat-pmp' && e.external === `${up.wanAddress}:49737`))
  t.deepEqual(up.portMappings(), [])
})

test.serial('a mapped node with the relay role relays for two homes whose NATs both randomise ports', async (t) => {
  const l = await lab(t, [
    { name: 'up', nat: 'port-restricted', portMapping: {} },
    { name: 'syma', nat: 'symmetric' },
    { name: 'symb', nat: 'symmetric' }
  ])
  if (l === null) return t.pass()
  const { run, work } = l
  const phone = path.join(work, 'phone')
  const relayKey = encodeKey(relayKeyPair(loadOrCreateIdentity(path.join(work, 'relay')).keyPair).publicKey)
  const homeKey = encodeKey(loadOrCreateIdentity(path.join(work, 'home')).keyPair.publicKey)
  const [relay, home] = await Promise.all([
    run.node('relay', 'up', { roles: ['relay'], trustedKeys: [cliKey(phone)], relay: { keys: [homeKey] } }),
    run.node('home', 'symb', { roles: ['storage'], trustedKeys: [cliKey(phone)], relays: [relayKey] })
  ])
  await relay.node.waitFor('port-mapped', 10_000)
  t.false((await relay.node.waitFor('dht-reachability', 30_000)).firewalled)
  const ping = await run.roost('syma', ['ping', home.key, '--count', '2', '--relay', relayKey], { home: phone, timeoutMs: 45_000 })
  t.is(ping.code, 0, ping.stderr)
  t.regex(ping.stdout, new RegExp(`^connected to \\S+ in [\\d.]+ ms, relayed through ${relayKey}$`, 'm'))
  await home.node.waitFor('peer-connected', 10_000, (e) => e.peer === cliKey(phone) && e.relay === relayKey)
})

test.serial('with port mapping off nothing is asked; a router that maps nothing leaves the node failed with the reason, serving on; UPnP alone maps too', async (t) => {
  const l = await lab(t, [
    { name: 'up', nat: 'port-restricted', portMapping: {} },
    { name: 'upnp', nat: 'port-restricted', portMapping: { natPmp: false } },
    { name: 'plain', nat: 'port-restricted' }
  ])
  if (l === null) return t.pass()
  const { run, work } = l
  const laptop = path.join(work, 'laptop')
  const [off, plain, upnp] = await Promise.all([
    run.node('off', 'up', { roles: ['storage'], portMapping: false }),
    run.node('plain', 'plain', { roles: ['storage'], trustedKeys: [cliKey(laptop)] }),
    run.node('upnp', 'upnp', { roles: ['storage'] })
  ])
  const failed = await plain.node.waitFor('port-mapping-failed', 10_000)
  t.is(failed.internalPort, 49737)
  t.regex(failed.reason, /^NAT-PMP: no NAT-PMP answer from the router 192\.168\.1\.1:5351; UPnP: no UPnP Internet Gateway Device answered from the router 192\.168\.1\.1$/)
  const ping = await run.roost('up', ['ping', plain.key, '--count', '1'], { home: laptop, timeoutMs: 45_000 })
  t.is(ping.code, 0, ping.stderr)

  const viaUpnp = await upnp.node.waitFor('port-mapped', 10_000)
  t.is(viaUpnp.protocol, 'upnp-igd')
  t.is(viaUpnp.external, `${run.lab.homes.upnp.wanAddress}:49737`)
  t.deepEqual(run.lab.homes.upnp.portMappings(), [`49737 → ${run.lab.homes.upnp.hostAddress}:49737`])

  await off.node.waitFor('dht-reachability', 30_000)
  t.falsy(off.node.events.find((e) => e.event.startsWith('port-')))
  t.deepEqual(run.lab.homes.up.portMappings(), [])
})
