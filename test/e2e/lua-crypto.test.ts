// The agent's crypto and wire format compiled to Lua 5.3 and run by the real lua5.3: the
// same vector file and the same case lines as test/unit/lua-crypto.test.ts, compared byte
// for byte, failures included; random cases against sodium; the build itself; and the bench's seal-bench entry.
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sodium from 'sodium-universal'
import { buildLuaBundle, type LuaLibImport } from '../../targets/lua/build.ts'
import { buildSealBench, luaSeal, PAYLOAD, TOPIC } from '../../tools/bench/agent/sealing.ts'
import { field, loadVectors, randomBytes, sodiumOpenReading, sodiumSeal, vectorCases } from '../helpers/lan-ingest-vectors.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

// One runner bundle for the file's tests, removed after the last of them.
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-lua-'))
const runnerFile = path.join(buildDir, 'vector-runner.lua')
test.before(() => { buildLuaBundle({ entry: 'vector-runner.ts', outFile: runnerFile }) })
test.after.always(() => { fs.rmSync(buildDir, { recursive: true, force: true }) })

function runLua (t: Parameters<typeof runTool>[0], lines: string[]): string[] {
  const result = runTool(t, 'lua5.3', [runnerFile], { input: lines.join('\n') + '\n', maxBuffer: 64 * 1024 * 1024 })
  t.is(result.code, 0, result.stderr)
  return result.stdout.split('\n').slice(0, -1)
}

test('lua5.3 reproduces every vector of lan-ingest.json byte for byte, failures included', (t) => {
  const cases = vectorCases()
  const outputs = runLua(t, cases.map((c) => c.line))
  t.is(outputs.length, cases.length)
  t.deepEqual(outputs.map((out, i) => `${cases[i].name}: ${out}`), cases.map((c) => `${c.name}: ${c.expected}`))
})

test('lua5.3 seals 200 random messages and MACs 200 as sodium does, and opens what sodium sealed', (t) => {
  const lines: string[] = []
  const expected: string[] = []
  for (let i = 0; i < 200; i++) {
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const aad = randomBytes(i % 33)
    const plaintext = randomBytes(i < 150 ? i : 150 + i * 5)
    const sealed = sodiumSeal(key, nonce, aad, plaintext).toString('hex')
    lines.push(['seal', key, nonce, aad, plaintext].map((b) => field(b.toString('hex'))).join(' '))
    expected.push(`ok ${field(sealed)}`)
    lines.push(['open', key.toString('hex'), nonce.toString('hex'), field(aad.toString('hex')), sealed].join(' '))
    expected.push(`ok ${field(plaintext.toString('hex'))}`)

    const macKey = i % 4 === 0 ? Buffer.alloc(32, 0xff) : randomBytes(32)
    const message = i % 2 === 0 ? Buffer.alloc(i, 0xff) : randomBytes(i * 3)
    const tag = Buffer.alloc(16)
    sodium.crypto_onetimeauth(tag, message, macKey)
    lines.push(`poly1305 ${macKey.toString('hex')} ${field(message.toString('hex'))}`)
    expected.push(`ok ${tag.toString('hex')}`)
  }
  t.deepEqual(runLua(t, lines), expected)
})

test('under lua5.3 each reading takes a fresh nonce from /dev/urandom and opens with sodium', (t) => {
  const key = randomBytes(32)
  const line = `reading ${key.toString('hex')} a1b2c3d4e5f60718 random 42 1700000000000 ${Buffer.from('home/t').toString('hex')} 3231`
  const outputs = runLua(t, [line, line])
  const datagrams = outputs.map((out) => Buffer.from(out.replace(/^ok /, ''), 'hex'))
  t.notDeepEqual(datagrams[0].subarray(17, 41), datagrams[1].subarray(17, 41), 'the two nonces are the same')
  for (const datagram of datagrams) {
    t.deepEqual(sodiumOpenReading(key, datagram), { deviceId: 'a1b2c3d4e5f60718', seq: 42, timeMs: 1700000000000, topic: Buffer.from('home/t').toString('hex'), payload: '3231' })
  }
})

test('the Lua build is byte-identical twice and holds only what its entry imports; sizes go to the log', (t) => {
  const dir = tmpDir(t)
  const build = (entry: string, luaLib: LuaLibImport, name: string): Buffer => {
    buildLuaBundle({ entry, outFile: path.join(dir, name), luaLib })
    return fs.readFileSync(path.join(dir, name))
  }
  const first = build('wire.ts', 'require-minimal', 'first.lua')
  const second = build('wire.ts', 'require-minimal', 'second.lua')
  t.true(first.equals(second), 'two builds of wire.ts differ')
  t.false(first.includes('vector'), 'the wire bundle holds test code')
  t.true(first.includes('["poly1305"]'), 'the wire bundle lacks the modules wire.ts imports')

  // Figures for the size budget (the router package aims at 64 KB in all), not assertions.
  for (const entry of ['wire.ts', 'vector-runner.ts']) {
    const sizes = (['require-minimal', 'inline', 'none'] as const).map((luaLib) => `${luaLib} ${build(entry, luaLib, `${luaLib}-${entry}.lua`).length}`)
    t.log(`Lua bundle of ${entry} in bytes: ${sizes.join(', ')} (none = without lualib)`)
  }
  t.log(`vectors checked: ${loadVectors().readings.length} readings, ${loadVectors().acks.length} acknowledgements`)
})

test('the seal-bench entry under lua5.3 seals a few readings as the agent does, prints one line, and its last datagram opens with sodium', async (t) => {
  const file = buildSealBench(path.join(tmpDir(t), 'seal-bench.lua'))
  const keys = { id: randomBytes(8).toString('hex'), key: randomBytes(32).toString('hex') }
  const run = await luaSeal(file, 3, keys, 20_000)
  t.deepEqual(run.last, { sequence: 3, topic: TOPIC, payload: PAYLOAD })
  t.true(run.cpuSeconds >= 0)
  const usage = runTool(t, 'lua5.3', [file, '0', keys.key, keys.id, TOPIC, PAYLOAD])
  t.is(usage.code, 1)
  t.regex(usage.stderr, /^seal-bench: usage: /)
})
