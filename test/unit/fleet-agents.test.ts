// Agent devices of a fleet file (tools/config/fleet-agent.ts): a router running the Lua
// agent names the node of the same fleet that takes its readings, says what it reads, and
// maps its topics to that node's feeds. Every problem is reported at once, each with its
// code, line and field; the agent's options are checked by the agent's own rules.
import test from 'ava'
import { parseFleet } from '../../tools/config/fleet.ts'
import { ConfigError } from '../../tools/config/errors.ts'

const HUB = '  - { name: hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: {}, address: 192.168.1.2 }'

function fleet (...devices: string[]): string {
  return ['fleet: home', 'devices:', ...devices].join('\n') + '\n'
}

// Each problem as "LINE FIELD: reason", with its code checked.
function problems (t: { is (a: unknown, b: unknown, m?: string): void }, text: string): string[] {
  try {
    parseFleet('fleet.yaml', text)
    return []
  } catch (e) {
    const err = e as ConfigError
    const list = err.code === 'INVALID_FILE' ? err.problems : [err]
    for (const p of list) t.is(p.code, 'INVALID_FIELD', p.message)
    return list.map((p) => `${p.line} ${p.field}: ${p.message.slice(`fleet.yaml:${p.line}: ${p.field}: `.length)}`)
  }
}

test('an agent device takes its node\'s address and port, its own settings over the agent\'s defaults, and a feed named after it', (t) => {
  const { devices } = parseFleet('fleet.yaml', fleet(
    '  - { name: hub, board: x86-64-mini-pc, roles: [storage, lan-ingest], lan_ingest: { port: 9500 }, address: hub.lan }',
    '  - name: attic',
    '    board: tplink-archer-c7-v5',
    '    agent:',
    '      node: hub',
    '      broker: mqtt://127.0.0.1:1883',
    '      subscribe: [home/#]',
    '      file: [router/temp=/sys/class/thermal/thermal_zone0/temp]',
    '      interval: 60',
    '      queue_max_kb: 512',
    '  - name: cellar',
    '    board: linksys-wrt3200acm',
    '    agent:',
    '      node: hub',
    '      command: [router/load=cut -d" " -f1 /proc/loadavg]',
    '      rules: [{ filter: router/#, feed: routers, decoder: text }]'
  ))
  const [hub, attic, cellar] = devices
  t.is(hub.agent, null)
  t.deepEqual(attic.agent, {
    node: 'hub',
    rules: [{ filter: '#', feed: 'attic', decoder: 'json' }],
    settings: {
      node: 'hub.lan:9500',
      queue: '/etc/roost/queue',
      queueMaxKb: 512,
      interval: 60,
      statsInterval: 300,
      broker: 'mqtt://127.0.0.1:1883',
      username: undefined,
      password: undefined,
      clientId: undefined,
      subscribe: ['home/#'],
      file: ['router/temp=/sys/class/thermal/thermal_zone0/temp'],
      command: []
    }
  })
  t.deepEqual(cellar.agent?.rules, [{ filter: 'router/#', feed: 'routers', decoder: 'text' }])
  t.deepEqual(cellar.agent?.settings.command, ['router/load=cut -d" " -f1 /proc/loadavg'])
})

test('without an address, the node\'s lan-ingest listening address, then its DHT address, is where the agent sends', (t) => {
  const agent = '  - { name: attic, board: tplink-archer-c7-v5, agent: { node: hub, command: [a=b] } }'
  const listening = parseFleet('fleet.yaml', fleet('  - { name: hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: { host: 10.0.0.2 }, host: 10.0.0.3 }', agent))
  t.is(listening.devices[1].agent?.settings.node, '10.0.0.2:9393')
  const dht = parseFleet('fleet.yaml', fleet('  - { name: hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: {}, host: 10.0.0.3 }', agent))
  t.is(dht.devices[1].agent?.settings.node, '10.0.0.3:9393')
})

test('an agent whose node is missing, is an agent, lacks lan-ingest or has no known address is refused at its node line', (t) => {
  t.deepEqual(problems(t, fleet(
    '  - { name: pi, board: raspberry-pi-4b, roles: [storage] }', //                                          3
    '  - { name: bare-hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: {} }', //                   4
    '  - name: a', //                                                                                         5
    '    board: tplink-archer-c7-v5', //                                                                      6
    '    agent: { node: gone, command: [a=b] }', //                                                           7
    '  - name: b', //                                                                                         8
    '    board: tplink-archer-c7-v5', //                                                                      9
    '    agent:', //                                                                                          10
    '      node: a', //                                                                                       11
    '      command: [a=b]', //                                                                                12
    '  - name: c', //                                                                                         13
    '    board: linksys-wrt3200acm', //                                                                       14
    '    agent:', //                                                                                          15
    '      node: pi', //                                                                                      16
    '      command: [a=b]', //                                                                                17
    '  - name: d', //                                                                                         18
    '    board: linksys-wrt3200acm', //                                                                       19
    '    agent:', //                                                                                          20
    '      node: bare-hub', //                                                                                21
    '      command: [a=b]' //                                                                                 22
  )), [
    '7 devices.2.agent.node: no device named "gone" in this fleet (devices with the lan-ingest role: bare-hub)',
    '11 devices.3.agent.node: device "a" is a tplink-archer-c7-v5, which runs the Lua agent itself and takes no readings',
    '16 devices.4.agent.node: device "pi" does not have the lan-ingest role (its roles: storage)',
    '21 devices.5.agent.node: the address the agent reaches node "bare-hub" by is not known'
  ])
  const err = t.throws<ConfigError>(() => parseFleet('fleet.yaml', fleet('  - { name: hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: {} }',
    '  - { name: a, board: tplink-archer-c7-v5, agent: { node: hub, command: [a=b] } }')))
  t.is(err.hint, 'add address: its LAN address (like 192.168.1.2) to device hub, or listen on that address with lan_ingest: { host: ... }')
})

test('a node removed from the fleet, or one that loses lan-ingest, is refused while agents name it', (t) => {
  const agents = ['  - { name: a, board: tplink-archer-c7-v5, agent: { node: hub, command: [a=b] } }', '  - { name: b, board: tplink-archer-c7-v5, agent: { node: hub, command: [a=b] } }']
  t.deepEqual(problems(t, fleet(...agents)), [
    '3 devices.0.agent.node: no device named "hub" in this fleet (devices with the lan-ingest role: none)',
    '4 devices.1.agent.node: no device named "hub" in this fleet (devices with the lan-ingest role: none)'
  ])
  const err = t.throws<ConfigError>(() => parseFleet('fleet.yaml', fleet('  - { name: hub, board: x86-64-mini-pc, roles: [storage], address: 192.168.1.2 }', agents[0])))
  t.is(err.message, 'fleet.yaml:4: devices.1.agent.node: device "hub" does not have the lan-ingest role (its roles: storage)')
  t.is(err.hint, 'add lan-ingest to the roles of hub and a lan_ingest section (lan_ingest: {} listens on UDP port 9393)')
})

test('the agent\'s options are checked by the agent\'s own rules, each at the key and list item that wrote it', (t) => {
  t.deepEqual(problems(t, fleet(
    HUB, //                                                       3
    '  - name: attic', //                                         4
    '    board: tplink-archer-c7-v5', //                          5
    '    agent:', //                                              6
    '      node: hub', //                                         7
    '      broker: mqtt://127.0.0.1:99999', //                    8
    '      subscribe: [home/#, bad/#/filter]', //                 9
    '      file: [router/temp=relative/path, no-equals]', //      10
    '      interval: 0', //                                       11
    '      queue: queue', //                                      12
    '      queue_max_kb: 1' //                                    13
  )), [
    '8 devices.1.agent.broker: expected mqtt://HOST or mqtt://HOST:PORT, got \'mqtt://127.0.0.1:99999\'',
    '9 devices.1.agent.subscribe.1: expected an MQTT topic filter (+ and # each alone in a level, # last), got \'bad/#/filter\'',
    '10 devices.1.agent.file.0: expected an absolute path after the =, got \'relative/path\'',
    '10 devices.1.agent.file.1: expected \'TOPIC=PATH\' with a topic without + or #, got \'no-equals\'',
    '11 devices.1.agent.interval: expected a whole number from 1 to 86400, got "0"',
    '12 devices.1.agent.queue: expected an absolute folder path on flash, got \'queue\'',
    '13 devices.1.agent.queue_max_kb: expected a whole number from 16 to 16384, got "1"'
  ])
})

test('an agent with nothing to read, or subscribe without a broker, is told which keys to give', (t) => {
  t.deepEqual(problems(t, fleet(HUB, '  - name: attic', '    board: tplink-archer-c7-v5', '    agent: { node: hub }')), [
    '6 devices.1.agent: nothing to read: give broker, file or command'
  ])
  t.deepEqual(problems(t, fleet(HUB, '  - name: attic', '    board: tplink-archer-c7-v5', '    agent:', '      node: hub', '      subscribe: [home/#]')), [
    '6 devices.1.agent: nothing to read: give broker, file or command',
    '8 devices.1.agent.subscribe.0: needs broker (the MQTT broker to read)'
  ])
})

test('an agent\'s rules are the node\'s mapping rules: checked there, with one decoder per feed across the node', (t) => {
  t.deepEqual(problems(t, fleet(
    '  - name: hub', //                                                                       3
    '    board: x86-64-mini-pc', //                                                            4
    '    roles: [bridge, lan-ingest]', //                                                      5
    '    address: 192.168.1.2', //                                                             6
    '    bridge: { broker: mqtt://127.0.0.1:1883, rules: [{ filter: home/#, feed: climate, decoder: number }] }', // 7
    '    lan_ingest:', //                                                                      8
    '      devices: [{ name: attic, id: 0123456789abcdef, key_file: /etc/roost/a.key, rules: [{ filter: "#", feed: loft, decoder: text }] }]', // 9
    '  - name: attic', //                                                                      10
    '    board: tplink-archer-c7-v5', //                                                       11
    '    agent:', //                                                                           12
    '      node: hub', //                                                                      13
    '      command: [a=b]', //                                                                 14
    '      rules:', //                                                                         15
    '        - { filter: "home/#/x", feed: Climate, decoder: json }', //                       16
    '        - { filter: "home/#", feed: climate, decoder: json }', //                         17
    '  - name: loft', //                                                                       18
    '    board: tplink-archer-c7-v5', //                                                       19
    '    agent: { node: hub, command: [a=b] }' //                                              20
  )), [
    '10 devices.1.name: node "hub" already has a lan_ingest device named "attic"',
    '16 devices.1.agent.rules.0.filter: "#" must be a whole level and the last one (e.g. home/#)',
    '16 devices.1.agent.rules.0.feed: "Climate" is not a feed name (lower-case letters, digits, - and _, at most 64)',
    '17 devices.1.agent.rules.1.decoder: feed "climate" is written with decoder "number" by bridge rule 1; one feed has one decoder',
    '20 devices.2.agent: the default rule (# to feed loft, json): feed "loft" is written with decoder "text" by rule 1 of device attic; one feed has one decoder'
  ])
})

test('a Lua agent device takes no node config, a node takes no agent section, and an agent device needs one', (t) => {
  t.deepEqual(problems(t, fleet(
    HUB, //                                                                                   3
    '  - name: attic', //                                                                     4
    '    board: tplink-archer-c7-v5', //                                                      5
    '    trusted_keys: []', //                                                                6
    '    bridge: { broker: mqtt://127.0.0.1:1883, rules: [{ filter: "#", feed: a, decoder: json }] }', // 7
    '    agent: { node: hub, command: [a=b] }', //                                            8
    '  - name: pi', //                                                                        9
    '    board: raspberry-pi-4b', //                                                          10
    '    agent: { node: hub, command: [a=b] }', //                                            11
    '  - name: cellar', //                                                                    12
    '    board: linksys-wrt3200acm', //                                                       13
    '    address: 300.1.1.1' //                                                               14
  )), [
    '6 devices.1.trusted_keys: expected no node config: tplink-archer-c7-v5 runs the Lua agent, not the node',
    '7 devices.1.bridge: expected no node config: tplink-archer-c7-v5 runs the Lua agent, not the node',
    '11 devices.2.agent: only for a Lua agent board; raspberry-pi-4b runs the node',
    '12 devices.3: a Lua agent device needs an agent section naming the node that takes its readings',
    '14 devices.3.address: expected an IPv4 address (192.168.1.2) or a host name the LAN resolves (hub.lan), got "300.1.1.1"'
  ])
})

test('an agent\'s broker password is never echoed, and a value of several lines is refused', (t) => {
  const secret = 'hunter2-is-my-password'
  t.deepEqual(problems(t, fleet(HUB, '  - name: attic', '    board: tplink-archer-c7-v5', '    agent:', '      node: hub',
    '      broker: mqtt://127.0.0.1:1883', '      subscribe: [home/#]', '      password: 12345678')), [
    '10 devices.1.agent.password: expected a string, got a whole number (not shown)'
  ])
  t.deepEqual(problems(t, fleet(HUB, '  - name: attic', '    board: tplink-archer-c7-v5', '    agent:', '      node: hub', '      command:', '        - |', '          a=b', '          c=d')), [
    '9 devices.1.agent.command.0: expected one line (the agent\'s UCI file holds a value on one line)'
  ])
  const err = t.throws<ConfigError>(() => parseFleet('fleet.yaml', fleet(HUB, '  - name: attic', '    board: tplink-archer-c7-v5', '    agent:', '      node: hub',
    '      broker: mqtt://127.0.0.1:1883', '      subscribe: [home/#]', `      password: ${secret}`, '      client_id: "x\\ny"')))
  t.false(err.message.includes(secret), err.message)
  t.is(err.message, 'fleet.yaml:11: devices.1.agent.client_id: expected one line (the agent\'s UCI file holds a value on one line)')
})
