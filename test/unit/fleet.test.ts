// Fleet files: every problem reported at once, each at its line with the field and the
// fix; a valid fleet gives each device its board's defaults, the fleet's defaults and
// its own keys, in that order.
import test from 'ava'
import { parseFleet } from '../../tools/config/fleet.ts'
import { ConfigError } from '../../tools/config/errors.ts'

const KEY = 'yapb8kntdzp3nmnzgj7f57u3d5yxsnd98kzmjkw6wcdmdxu3ey7o'
const OTHER = 'pn98rpqjai7xydn8u7ymdbuxfm9yjhhmoehh3t17xcyargseqkdo'

// The messages of a refused file, one per problem; none when the file is accepted.
function problems (text: string): string[] {
  try {
    parseFleet('fleet.yaml', text)
    return []
  } catch (e) {
    const err = e as ConfigError
    return err.code === 'INVALID_FILE' ? err.problems.map((p) => p.message) : [err.message]
  }
}

test('a valid fleet gives each device its board, the fleet defaults and its own keys over them', (t) => {
  const fleet = parseFleet('fleet.yaml', [
    'fleet: home',
    `operator_key: ${KEY}`,
    'defaults:',
    `  trusted_keys: [${OTHER}]`,
    '  storage_peer: { reserve_mb: 100, max_open_cores: 8 }',
    'devices:',
    '  - name: kitchen',
    '    board: raspberry-pi-4b',
    '    roles: [storage, lan-ingest]',
    '    storage_peer: { max_open_cores: 16 }',
    '    lan_ingest: {}',
    '    address: 192.168.1.10',
    '  - name: attic',
    '    board: raspberry-pi-zero-2-w',
    '    memory_budget_mb: 100',
    '  - name: office',
    '    board: tplink-archer-c7-v5',
    '    agent: { node: kitchen, command: [router/load=cat /proc/loadavg] }'
  ].join('\n'))
  t.is(fleet.name, 'home')
  t.is(fleet.operatorKey, KEY)
  const [kitchen, attic, office] = fleet.devices
  t.is(kitchen.board.id, 'raspberry-pi-4b')
  t.deepEqual(kitchen.config?.roles, ['storage', 'lan-ingest'])
  t.is(kitchen.address, '192.168.1.10')
  t.is(kitchen.agent, null)
  t.deepEqual(kitchen.config?.trustedKeys, [OTHER])
  t.is(kitchen.config?.dataDir, '/var/lib/roost')
  t.like(kitchen.config?.storagePeer, { reserveBytes: 100 * 1024 * 1024, maxOpenCores: 16 })
  t.deepEqual(attic.config?.roles, ['bridge'], 'the board\'s default roles')
  t.is(attic.board.memoryBudgetMb, 100)
  t.is(office.board.program, 'lua-agent')
  t.is(office.config, null)
  t.like(office.agent, { node: 'kitchen', rules: [{ filter: '#', feed: 'office', decoder: 'json' }] })
  t.like(office.agent?.settings, { node: '192.168.1.10:9393', queue: '/etc/roost/queue', command: ['router/load=cat /proc/loadavg'], subscribe: [] })
})

test('without operator_key the fleet leaves the operator key to the provisioning CLI', (t) => {
  const fleet = parseFleet('fleet.yaml', 'fleet: home\ndevices:\n  - { name: a, board: x86-64-mini-pc }\n')
  t.is(fleet.operatorKey, null)
})

test('every problem of a fleet file is reported at once, each at its line with its field', (t) => {
  const err = t.throws(() => parseFleet('fleet.yaml', [
    'fleet: Home Lab', //                                1
    'operator_key: not-a-key', //                        2
    'devices:', //                                       3
    '  - name: kitchen', //                              4
    '    board: raspberry-pi-4b', //                     5
    '  - name: kitchen', //                              6
    '    board: raspberry-pi-9', //                      7
    '  - name: router', //                               8
    '    board: tplink-archer-c7-v5', //                 9
    '    roles: [storage]', //                           10
    '  - name: attic', //                                11
    '    board: raspberry-pi-zero-2-w', //               12
    '    memory_budget_mb: 512' //                       13
  ].join('\n')), { instanceOf: ConfigError, code: 'INVALID_FILE' })
  t.deepEqual(err.problems.map((p) => `${p.line} ${p.field}`), [
    '1 fleet', '2 operator_key', '6 devices.1.name', '7 devices.1.board', '8 devices.2', '10 devices.2.roles', '13 devices.3.memory_budget_mb'
  ])
  t.true(err.message.startsWith('fleet.yaml: 7 problems\nfleet.yaml:1: fleet: '), err.message)
  t.is(err.hint, 'fix each line above; roost checks the whole file again')
})

test('a duplicate device name is reported at the second one, naming the first', (t) => {
  t.deepEqual(problems('fleet: home\ndevices:\n  - { name: kitchen, board: raspberry-pi-4b }\n  - { name: kitchen, board: raspberry-pi-5 }\n'), [
    'fleet.yaml:4: devices.1.name: expected each device name once; devices.0 is also "kitchen"'
  ])
})

test('an unknown board lists the valid ids and how to add one', (t) => {
  const err = t.throws<ConfigError>(() => parseFleet('fleet.yaml', 'fleet: home\ndevices:\n  - name: a\n    board: raspberry-pi-9\n'), { code: 'INVALID_FIELD' })
  t.regex(err.message, /^fleet\.yaml:4: devices\.0\.board: unknown board "raspberry-pi-9" \(valid boards: bananapi-bpi-r4, .*x86-64-mini-pc\)$/)
  t.is(err.hint, 'pick one of the ids `roost boards` lists, or add board-configs/<id>.yaml')
})

test('a role on a board that cannot run the node is refused, pointing at the Lua agent', (t) => {
  const err = t.throws<ConfigError>(() => parseFleet('fleet.yaml', 'fleet: home\ndevices:\n  - { name: hub, board: x86-64-mini-pc, roles: [lan-ingest], lan_ingest: { host: 192.168.1.2 } }\n' +
    '  - name: router\n    board: tplink-archer-c7-v5\n    roles: [storage, bridge]\n    agent: { node: hub, command: [a=b] }\n'))
  t.is(err.message, 'fleet.yaml:6: devices.1.roles: expected no roles: tplink-archer-c7-v5 (linux-mips) cannot run the node on Bare, it runs the Lua agent, got ["storage","bridge"]')
  t.true(err.hint?.includes('lan-ingest'), err.hint)
})

test('a memory budget not below the board\'s RAM is refused with the RAM', (t) => {
  t.deepEqual(problems('fleet: home\ndevices:\n  - name: a\n    board: raspberry-pi-zero-2-w\n    memory_budget_mb: 512\n'), [
    'fleet.yaml:5: devices.0.memory_budget_mb: expected less than the RAM of raspberry-pi-zero-2-w (512 MB), got 512'
  ])
})

test('a device\'s node config is checked by the node\'s rules against its own board, at the device\'s line', (t) => {
  t.deepEqual(problems([
    'fleet: home',
    'devices:',
    '  - name: a',
    '    board: raspberry-pi-4b',
    '    roles: [storage, bridge]',
    '    bridge:',
    '      broker: http://broker.lan',
    '      rules: [{ filter: "home/#", feed: climate, decoder: number }]',
    '  - name: b',
    '    board: x86-64-mini-pc',
    '    trusted_keys: [nope]'
  ].join('\n')), [
    'fleet.yaml:7: devices.0.bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got http://',
    'fleet.yaml:11: devices.1.trusted_keys.0: expected a public key (52 z-base-32 or 64 hex characters), got "nope"'
  ])
})

test('a problem in the defaults is reported once, at the default\'s line', (t) => {
  t.deepEqual(problems([
    'fleet: home',
    'defaults:',
    '  trusted_keys: [nope]',
    'devices:',
    '  - { name: a, board: raspberry-pi-4b }',
    '  - { name: b, board: raspberry-pi-5 }'
  ].join('\n')), ['fleet.yaml:3: defaults.trusted_keys.0: expected a public key (52 z-base-32 or 64 hex characters), got "nope"'])
})

test('an unknown key is reported at its line with the valid fields', (t) => {
  const [message] = problems('fleet: home\ndevices:\n  - name: a\n    board: raspberry-pi-4b\n    colour: blue\n')
  t.regex(message, /^fleet\.yaml:5: devices\.0\.colour: unknown field \(valid fields: roles, .*name, board, memory_budget_mb, address, agent\)$/)
})

test('a fleet without devices, or without a name, says what is missing', (t) => {
  t.deepEqual(problems('fleet: home\ndevices: []\n'), ['fleet.yaml:2: devices: expected at least one item, got []'])
  t.deepEqual(problems('devices:\n  - { name: a, board: raspberry-pi-4b }\n'), ['fleet.yaml:1: fleet: required field is missing'])
})

test('a broker password in a fleet file is never echoed in a message', (t) => {
  const [message] = problems([
    'fleet: home',
    'devices:',
    '  - name: a',
    '    board: raspberry-pi-4b',
    '    roles: [bridge]',
    '    bridge:',
    '      broker: mqtt://broker.lan',
    '      password: 12345678',
    '      rules: [{ filter: "home/#", feed: climate, decoder: number }]'
  ].join('\n'))
  t.false(message.includes('12345678'), message)
  t.regex(message, /devices\.0\.bridge\.password/)
})
