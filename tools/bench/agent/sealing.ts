// Sealing readings under Lua against sodium, in the same run: the agent's own TypeScript
// (readings.ts → wire.ts → aead.ts) compiled to Lua by the seal-bench entry and run by
// lua5.3, and the TypeScript stand-in agent's sealing (sodium-universal's
// crypto_aead_xchacha20poly1305_ietf_encrypt) in this process. Both seal typical readings
// (a 24-byte topic, a 5-byte payload) with a fresh random nonce each, timed in CPU seconds.
import { execFile } from 'node:child_process'
import sodium from 'sodium-universal'
import { HEADER_BYTES, ID_BYTES, KIND_READING, NONCE_AT, openReading, readRecord, readUint64, SEALED_AT, TAG_BYTES, writeUint64 } from '../../../node/lan/wire.ts'
import { buildLuaBundle } from '../../../targets/lua/build.ts'
import { HarnessError } from '../../harness/errors.ts'
import { recordBytes, type AgentKeys } from '../../harness/lan-agent.ts'
import { parseEvent } from '../../harness/lua-agent.ts'

export const TOPIC = 'home/kitchen/temperature'
export const PAYLOAD = '21.50'

export function buildSealBench (outFile: string): string {
  return buildLuaBundle({ entry: 'seal-bench.ts', outFile }).file
}

export interface LuaSealRun {
  readings: number
  cpuSeconds: number
  // The last datagram sealed, opened with sodium.
  last: { sequence: number, topic: string, payload: string }
}

// lua5.3 seal-bench.lua: its one line, and its last datagram opened with the device key.
export async function luaSeal (file: string, readings: number, keys: AgentKeys, timeoutMs: number): Promise<LuaSealRun> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('lua5.3', [file, String(readings), keys.key, keys.id, TOPIC, PAYLOAD], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, out, stderr) => {
      if (err === null) return resolve(out)
      reject(err.killed === true
        ? HarnessError.WAIT_TIMEOUT(`lua5.3 sealing ${readings} readings`, timeoutMs, `its output: ${out} ${stderr}`)
        : HarnessError.CHECK_FAILED(`lua5.3 seal-bench failed: ${err.message} ${stderr}`))
    })
  })
  const line = parseEvent(stdout.trim())
  if (line?.event !== 'seal-bench' || Number(line.count) !== readings || !(Number(line.seconds) >= 0)) {
    throw HarnessError.CHECK_FAILED(`lua5.3 seal-bench printed ${JSON.stringify(stdout)}`)
  }
  const datagram = Buffer.from(line.last, 'hex')
  const plain = openReading(datagram, Buffer.from(keys.key, 'hex'))
  const record = plain === null ? null : readRecord(plain)
  if (record === null) throw HarnessError.CHECK_FAILED(`the last reading lua5.3 sealed does not open with sodium: ${line.last}`)
  return {
    readings,
    cpuSeconds: Number(line.seconds),
    last: { sequence: readUint64(datagram, 9), topic: record.topic, payload: Buffer.from(record.payload).toString('utf8') }
  }
}

// The same readings sealed here, as the stand-in agent (lan-agent.ts) builds them, with
// the key decoded once (its sealReading decodes the hex key every call, which is no part
// of sealing). One untimed pass first, as V8 compiles the code around sodium; then passes
// until MIN_SODIUM_CPU_S, as one pass takes milliseconds: readings per CPU second.
export function sodiumSealRate (readings: number, keys: AgentKeys): number {
  const key = Buffer.from(keys.key, 'hex')
  const deviceId = Buffer.from(keys.id, 'hex')
  const payload = Buffer.from(PAYLOAD)
  const seal = (sequence: number): Buffer => {
    const record = recordBytes({ sequence, topic: TOPIC, payload })
    const datagram = Buffer.alloc(SEALED_AT + record.byteLength + TAG_BYTES)
    datagram[0] = KIND_READING
    deviceId.copy(datagram, 1)
    writeUint64(datagram, 1 + ID_BYTES, sequence)
    sodium.randombytes_buf(datagram.subarray(NONCE_AT, SEALED_AT))
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(datagram.subarray(SEALED_AT), record, datagram.subarray(0, HEADER_BYTES), null,
      datagram.subarray(NONCE_AT, SEALED_AT), key)
    return datagram
  }
  for (let sequence = 1; sequence <= readings; sequence++) seal(sequence)
  const started = process.cpuUsage()
  let sealed = 0
  let last: Buffer | undefined
  let cpuS = 0
  while (cpuS < MIN_SODIUM_CPU_S) {
    for (let sequence = 1; sequence <= readings; sequence++) last = seal(sequence)
    sealed += readings
    const used = process.cpuUsage(started)
    cpuS = (used.user + used.system) / 1e6
  }
  const plain = last === undefined ? null : openReading(last, key)
  if (plain === null || readRecord(plain)?.topic !== TOPIC) throw HarnessError.CHECK_FAILED('the last reading sealed with sodium does not open')
  return sealed / cpuS
}

const MIN_SODIUM_CPU_S = 0.5
