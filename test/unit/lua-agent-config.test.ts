// The Lua agent's config (targets/lua/agent/uci.ts and config.ts) run as TypeScript under
// Node: UCI's syntax as libuci reads it, and every problem named by line and field.
import test from 'ava'
import { readAgentConfig } from '../../targets/lua/agent/config.ts'
import { parseUci } from '../../targets/lua/agent/uci.ts'
import { agentUciConfig } from '../../targets/lua/uci-config.ts'

const ID = '0123456789abcdef'
const KEY = 'ab'.repeat(32)

function configText (lines: string[]): string {
  return ["config agent 'main'", ...lines.map((line) => `\t${line}`)].join('\n') + '\n'
}

const VALID = [`option node '192.168.1.2:9393'`, `option id '${ID}'`, `option key '${KEY}'`]

function problems (lines: string[]): string[] {
  const result = readAgentConfig(configText(lines))
  return result.ok ? [] : result.problems.map((p) => `${p.line}: ${p.field}: ${p.reason}`)
}

test('the example config of the README reads into every setting', (t) => {
  const result = readAgentConfig([
    '# roost Lua agent',
    "config agent 'main'",
    "\toption node '192.168.1.2:9393'",
    `\toption id '${ID.toUpperCase()}'          # from roost agent add`,
    `\toption key '${KEY}'`,
    "\toption queue '/overlay/roost-agent/queue'",
    "\toption queue_max_kb '512'",
    "\toption interval '30'",
    "\toption broker 'mqtt://127.0.0.1:1883'",
    "\tlist subscribe 'home/#'",
    "\tlist subscribe 'garden/+/temp'",
    "\tlist file 'router/cpu-temp=/sys/class/thermal/thermal_zone0/temp'",
    '\tlist command \'router/load=cut -d" " -f1 /proc/loadavg\'',
    "\tlist command 'router/wifi-clients=iw dev wlan0 station dump | grep -c Station'",
    ''
  ].join('\n'))
  if (!result.ok) return t.fail(JSON.stringify(result.problems))
  const c = result.config
  t.like(c, { nodeHost: '192.168.1.2', nodePort: 9393, queueDir: '/overlay/roost-agent/queue', queueMaxBytes: 512 * 1024, intervalS: 30, statsIntervalS: 300 })
  t.deepEqual(c.deviceId, [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
  t.is(c.key.length, 32)
  t.deepEqual(c.broker, { host: '127.0.0.1', port: 1883, clientId: `roost-${ID}`, username: undefined, password: undefined, topics: ['home/#', 'garden/+/temp'] })
  t.deepEqual(c.files, [{ topic: 'router/cpu-temp', source: '/sys/class/thermal/thermal_zone0/temp' }])
  t.deepEqual(c.commands.map((s) => s.source), ['cut -d" " -f1 /proc/loadavg', 'iw dev wlan0 station dump | grep -c Station'])
})

test('defaults: the queue on /etc/roost, 256 KB, 30 s readings, broker port 1883', (t) => {
  const result = readAgentConfig(configText([...VALID, "option broker 'mqtt://localhost'", "list subscribe '#'"]))
  if (!result.ok) return t.fail(JSON.stringify(result.problems))
  t.like(result.config, { queueDir: '/etc/roost/queue', queueMaxBytes: 256 * 1024, intervalS: 30 })
  t.like(result.config.broker, { host: 'localhost', port: 1883 })
})

test('UCI quoting: single quotes as they are, double quotes and bare words with backslash escapes, pieces joined', (t) => {
  const file = parseUci([
    'config agent main',
    "\tlist command 'a=echo '\\''hi there'\\'''",
    '\tlist command "b=echo \\"x\\" \'y\'"',
    '\tlist command c=echo\\ bare',
    "\tlist command 'd=printf #'   # a comment after the value",
    '  # an indented comment',
    'package roost-agent'
  ].join('\n'))
  t.deepEqual(file.problems, [])
  t.is(file.sections[0].name, 'main')
  t.deepEqual(file.sections[0].options[0].values.map((v) => v.value), ["a=echo 'hi there'", 'b=echo "x" \'y\'', 'c=echo bare', 'd=printf #'])
  t.deepEqual(file.sections[0].options[0].values.map((v) => v.line), [2, 3, 4, 5])
})

test('every problem of a file is reported at once, each with its line and the field as written', (t) => {
  t.deepEqual(problems([
    `option node '192.168.1.2'`, //                     2
    "option id 'xyz'", //                               3
    "option key '0011'", //                             4
    "option interval 'often'", //                       5
    "list file 'no-equals-sign'", //                    6
    "option colour 'blue'", //                          7
    "option queue 'relative/path'", //                  8
    "option queue_max_kb '8'", //                       9
    "list command 'home/#=echo 1'" //                   10
  ]), [
    "2: option node: expected HOST:PORT (port 1 to 65535), got '192.168.1.2'",
    '3: option id: expected 16 hex characters, got 3 characters',
    '4: option key: expected 64 hex characters, got 4 characters',
    '5: option interval: expected a whole number from 1 to 86400, got "often"',
    "6: list file: expected 'TOPIC=PATH' with a topic without + or #, got 'no-equals-sign'",
    '7: option colour: unknown (known: enabled, node, id, key, queue, queue_max_kb, interval, stats_interval, broker, username, password, client_id; lists: subscribe, file, command)',
    "8: option queue: expected an absolute folder path on flash, got 'relative/path'",
    '9: option queue_max_kb: expected a whole number from 16 to 16384, got "8"',
    "10: list command: expected 'TOPIC=COMMAND' with a topic without + or #, got 'home/#=echo 1'"
  ])
})

test('a key of the right length that is not hex is refused without being repeated', (t) => {
  const secret = 'zz' + KEY.slice(2)
  const found = problems([`option node 'n:1'`, `option id '${ID}'`, `option key '${secret}'`, "list command 'a=b'"])
  t.deepEqual(found, ['4: option key: expected 64 hex characters, got a character that is not hex'])
  t.false(found.join('').includes(secret.slice(2, 20)))
})

test('missing settings name the section\'s line and say where to get them', (t) => {
  t.deepEqual(problems(["list command 'a=b'"]), [
    '1: option node: missing: the roost node\'s address on the LAN, HOST:PORT',
    '1: option id: missing: the device id (16 hex characters) from `roost agent add NAME`',
    '1: option key: missing: the device key (64 hex characters) from `roost agent add NAME`'
  ])
  t.deepEqual(problems(VALID), ['1: option broker: nothing to read: give option broker, list file or list command'])
  const empty = readAgentConfig('# nothing here\n')
  t.deepEqual(empty.ok ? [] : empty.problems, [{ line: 1, field: 'config agent', reason: 'missing: the file has no config agent \'main\' section' }])
})

test('broker settings: mqtt:// only, topic filters checked, subscribe needs a broker and a broker a subscribe', (t) => {
  t.deepEqual(problems([...VALID, "option broker 'mqtts://127.0.0.1:8883'", "list subscribe 'a'"]), [
    "5: option broker: TLS is not supported (LuaSocket has none): read the router's own broker, mqtt://127.0.0.1:1883"
  ])
  t.deepEqual(problems([...VALID, "option broker 'mqtt://127.0.0.1:1883'", "list subscribe 'a/#/b'", "list subscribe 'a+/b'"]), [
    "6: list subscribe: expected an MQTT topic filter (+ and # each alone in a level, # last), got 'a/#/b'",
    "7: list subscribe: expected an MQTT topic filter (+ and # each alone in a level, # last), got 'a+/b'"
  ])
  t.deepEqual(problems([...VALID, "option broker 'mqtt://127.0.0.1:99999'"]), [
    "1: option subscribe: missing: list subscribe 'TOPIC' for each topic filter to read from the broker",
    "5: option broker: expected mqtt://HOST or mqtt://HOST:PORT, got 'mqtt://127.0.0.1:99999'"
  ])
  t.deepEqual(problems([...VALID, "list command 'a=b'", "list subscribe 'home/#'", "option username 'me'"]), [
    '6: list subscribe: needs option broker (the MQTT broker to read)',
    '7: option username: needs option broker (the MQTT broker to read)'
  ])
})

test('UCI structure: options twice, option and list mixed, lines before config, other sections, unclosed quotes', (t) => {
  t.deepEqual(problems([...VALID, "option interval '5'", "option interval '6'", "list node 'x'", "list command 'a=b"]), [
    '1: option broker: nothing to read: give option broker, list file or list command',
    '6: option interval: given twice (also on line 5)',
    '7: list node: already given as option node on line 2',
    "8: line: a quote (') is not closed on this line"
  ])
  const result = readAgentConfig(["option node 'x'", 'config agent', "config other 'x'", 'config agent second', 'bogus line'].join('\n'))
  t.deepEqual(result.ok ? [] : result.problems.map((p) => `${p.line}: ${p.field}: ${p.reason}`).filter((p) => !p.startsWith('2: ')), [
    '1: option node: comes before any config line',
    "3: config other: unknown section type (expected config agent 'main')",
    '4: config agent: a second agent section (the first is on line 2)',
    '5: bogus: expected config, option or list'
  ])
})

test('an option written as a list, or a list as an option, is named', (t) => {
  t.deepEqual(problems([...VALID, "option file 'a=/b'", "list interval '5'"]), [
    '5: option file: expected list file',
    '6: list interval: expected option interval'
  ])
})

test('a config roost provision writes (targets/lua/uci-config.ts) reads back into the same settings, quotes and all', (t) => {
  const uci = agentUciConfig({
    node: '192.168.1.2:9393',
    id: ID,
    key: KEY,
    queue: '/etc/roost/queue',
    queueMaxKb: 512,
    interval: 60,
    statsInterval: 300,
    broker: 'mqtt://127.0.0.1:1883',
    password: "it's a secret",
    username: 'agent',
    subscribe: ['home/#'],
    file: ['router/temp=/sys/class/thermal/thermal_zone0/temp'],
    command: ['router/clients=iw dev wlan0 station dump | grep -c \'Station\'']
  }, ['device attic of fleet home'])
  t.true(uci.text.startsWith('# device attic of fleet home\n'))
  const result = readAgentConfig(uci.text)
  if (!result.ok) return t.fail(JSON.stringify(result.problems))
  t.like(result.config, { nodeHost: '192.168.1.2', nodePort: 9393, queueDir: '/etc/roost/queue', queueMaxBytes: 512 * 1024, intervalS: 60, statsIntervalS: 300 })
  t.like(result.config.broker, { host: '127.0.0.1', port: 1883, username: 'agent', password: "it's a secret", topics: ['home/#'] })
  t.deepEqual(result.config.commands, [{ topic: 'router/clients', source: 'iw dev wlan0 station dump | grep -c \'Station\'' }])
  const commandLine = uci.text.split('\n').findIndex((l) => l.includes('list command')) + 1
  t.deepEqual(uci.sources.get(commandLine), { option: 'command', index: 0 })
})
