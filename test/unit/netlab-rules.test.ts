// The home routers' nftables rules of the network lab (tools/harness/netlab.ts), read
// without root: each NAT kind maps and filters as its name says.
import test from 'ava'
import { routerRules } from '../../tools/harness/netlab.ts'

const WAN = '203.0.113.10'

test('every router lets nothing unsolicited in from the WAN side but what its NAT kind opens', (t) => {
  for (const nat of ['cone', 'port-restricted', 'symmetric', 'dmz', 'port-forward'] as const) {
    const rules = routerRules({ name: 'home', nat }, WAN)
    t.regex(rules, /type filter hook forward priority filter; policy drop;/, nat)
    t.regex(rules, /ct state established,related accept/, nat)
    t.regex(rules, /iifname "wan" drop/, nat)
  }
})

test('cone maps and filters independently of the endpoint; port-restricted is plain masquerade; symmetric randomises ports', (t) => {
  const cone = routerRules({ name: 'home', nat: 'cone' }, WAN)
  t.regex(cone, /update @cone \{ udp sport \}/)
  t.regex(cone, /iifname "wan" udp dport @cone dnat to 192\.168\.1\.2/)
  const restricted = routerRules({ name: 'home', nat: 'port-restricted' }, WAN)
  t.regex(restricted, /oifname "wan" masquerade\n/)
  t.notRegex(restricted, /dnat to/)
  t.regex(routerRules({ name: 'home', nat: 'symmetric' }, WAN), /oifname "wan" masquerade fully-random/)
})

test('a DMZ exposes the host one to one; a port forward exposes one UDP port', (t) => {
  const dmz = routerRules({ name: 'home', nat: 'dmz' }, WAN)
  t.regex(dmz, /iifname "wan" dnat to 192\.168\.1\.2\n/)
  t.regex(dmz, /oifname "wan" snat to 203\.0\.113\.10/)
  t.regex(routerRules({ name: 'home', nat: 'port-forward', forwardPort: 40000 }, WAN), /iifname "wan" udp dport 40000 dnat to 192\.168\.1\.2:40000/)
})
