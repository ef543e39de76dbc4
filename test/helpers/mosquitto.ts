// A real Mosquitto broker on a free loopback port for one test, and its command-line
// clients. The broker is stopped when the test ends, passed or failed; a missing
// binary fails the test with the command that installs it (never a skip).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import type { ExecutionContext } from 'ava'
import { accepts, findMosquittoTool, freePort, stopProcess } from '../../tools/mosquitto.ts'
import { tmpDir } from './tmp.ts'

export interface Broker {
  port: number
  url: string
  log: string[]
  // Resolves with the first broker log line that matches.
  waitForLog (pattern: RegExp, timeoutMs?: number): Promise<string>
}

export interface Message { topic: string, payload: string }

export interface Subscriber {
  // Resolves once the broker has the subscription.
  subscribed: Promise<void>
  messages: Message[]
  waitForMessage (payload: string, timeoutMs?: number): Promise<Message>
}

const START_TIMEOUT_MS = 5000

// Resolves with what `found` returns once it returns something, re-checked on every
// `wake()`; rejects when the process ends first or the time is up.
function waiter (child: ChildProcess, describe: () => string) {
  const waiters = new Set<() => void>()
  const wake = (): void => { for (const check of waiters) check() }
  child.on('close', wake)
  function until<T> (found: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = found()
        if (value !== undefined) return done(() => resolve(value))
        if (child.exitCode !== null || child.signalCode !== null) return done(() => reject(new Error(`${path.basename(String(child.spawnfile))} exited before ${what}; ${describe()}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms; ${describe()}`))), timeoutMs)
      const done = (fn: () => void): void => {
        clearTimeout(timer)
        waiters.delete(check)
        fn()
      }
      waiters.add(check)
      check()
    })
  }
  return { wake, until }
}

export async function startMosquitto (t: ExecutionContext, extraConfig: string[] = []): Promise<Broker> {
  const mosquitto = findMosquittoTool('mosquitto')
  const dir = tmpDir(t, 'roost-mosquitto-')
  const port = await freePort()
  const config = path.join(dir, 'mosquitto.conf')
  // Subscriptions are logged too, so a test knows when one is in place.
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr',
    ...['error', 'warning', 'notice', 'information', 'subscribe'].map((type) => `log_type ${type}`), ...extraConfig, ''].join('\n'))
  const child = spawn(mosquitto, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => stopProcess(child))
  const log: string[] = []
  const { wake, until } = waiter(child, () => `mosquitto log: ${log.join(' | ')}`)
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    log.push(line)
    wake()
  })

  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stopProcess(child)
      throw new Error(`mosquitto did not accept connections on 127.0.0.1:${port}; its log: ${log.join(' | ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    log,
    waitForLog: (pattern, timeoutMs = START_TIMEOUT_MS) => until(() => log.find((line) => pattern.test(line)), `broker log line ${pattern}`, timeoutMs)
  }
}

// mosquitto_pub: one message, waiting until the broker has it (QoS 1 waits for PUBACK).
export function publish (broker: Broker, topic: string, payload: string, qos: 0 | 1 | 2 = 1, retain = false): Promise<void> {
  const tool = findMosquittoTool('mosquitto_pub')
  return new Promise((resolve, reject) => {
    execFile(tool, ['-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-m', payload, '-q', String(qos), ...(retain ? ['-r'] : [])], { timeout: 10_000 },
      (err, _stdout, stderr) => { err ? reject(new Error(`mosquitto_pub failed: ${err.message} ${stderr}`)) : resolve() })
  })
}

// mosquitto_sub on one topic for the length of the test, one line per message.
let subscribers = 0
export function subscribe (t: ExecutionContext, broker: Broker, topic: string, qos: 0 | 1 | 2 = 1): Subscriber {
  const tool = findMosquittoTool('mosquitto_sub')
  const clientId = `roost-test-sub-${process.pid}-${++subscribers}`
  const child = spawn(tool, ['-h', '127.0.0.1', '-p', String(broker.port), '-i', clientId, '-t', topic, '-q', String(qos), '-F', 'message %t %p'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => stopProcess(child))
  const messages: Message[] = []
  const output: string[] = []
  const { wake, until } = waiter(child, () => `mosquitto_sub output: ${output.join(' | ')}`)
  const collect = (line: string): void => {
    output.push(line)
    const message = /^message (\S+) (.*)$/.exec(line)
    if (message) messages.push({ topic: message[1], payload: message[2] })
    wake()
  }
  readline.createInterface({ input: child.stdout! }).on('line', collect)
  readline.createInterface({ input: child.stderr! }).on('line', (line) => { output.push(line) })

  return {
    // The broker logs "<client id> <qos> <topic>" for each subscription it takes.
    subscribed: broker.waitForLog(new RegExp(`: ${clientId} \\d ${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)).then(() => undefined),
    messages,
    waitForMessage: (payload, timeoutMs = 10_000) => until(() => messages.find((m) => m.payload === payload), `message "${payload}"`, timeoutMs)
  }
}
