// A real Mosquitto broker on a free loopback port for one test, and its command-line
// clients. The broker is stopped when the test ends, passed or failed; a missing
// binary fails the test with the command that installs it (never a skip).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import type { ExecutionContext } from 'ava'
import { accepts, findMosquittoTool, freePort, stopProcess } from '../../tools/harness/mosquitto.ts'
import { processWaiter, type ProcessWaiter } from '../../tools/harness/process-waiter.ts'
import { tmpDir } from './tmp.ts'

export interface Login { username: string, password: string }

export interface Broker {
  port: number
  url: string
  log: string[]
  // Set when the broker refuses anonymous clients: what mosquitto_pub and _sub log in with.
  login?: Login
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

// A waiter on the process's output that also wakes when the process ends.
function waiter (child: ChildProcess, describe: () => string): ProcessWaiter {
  const w = processWaiter(path.basename(String(child.spawnfile)), () => child.exitCode !== null || child.signalCode !== null, describe)
  child.on('close', () => w.wake())
  return w
}

// `login`: the broker refuses anonymous clients and knows this one user, from a
// password file made by mosquitto_passwd.
export async function startMosquitto (t: ExecutionContext, extraConfig: string[] = [], opts: { login?: Login } = {}): Promise<Broker> {
  const mosquitto = findMosquittoTool('mosquitto')
  const dir = tmpDir(t, 'roost-mosquitto-')
  const port = await freePort()
  const config = path.join(dir, 'mosquitto.conf')
  const auth = opts.login ? passwordFileConfig(dir, opts.login) : ['allow_anonymous true']
  // Subscriptions are logged too, so a test knows when one is in place.
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, ...auth, 'persistence false', 'log_dest stderr',
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
    login: opts.login,
    waitForLog: (pattern, timeoutMs = START_TIMEOUT_MS) => until(() => log.find((line) => pattern.test(line)), `broker log line ${pattern}`, timeoutMs)
  }
}

// Mosquitto reads its password file after dropping root to its own user: the folder and
// file are opened up to it (the file holds only a salted hash).
function passwordFileConfig (dir: string, login: Login): string[] {
  const file = path.join(dir, 'passwords')
  try {
    execFileSync('mosquitto_passwd', ['-b', '-c', file, login.username, login.password], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(`mosquitto_passwd failed (${(err as Error).message}): run scripts/system-deps.sh (as root it installs mosquitto, which has it)`)
  }
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(file, 0o644)
  return ['allow_anonymous false', `password_file ${file}`]
}

function loginArgs (broker: Broker): string[] {
  return broker.login ? ['-u', broker.login.username, '-P', broker.login.password] : []
}

// A CA, a certificate it signs for 127.0.0.1 (an IP SAN), and a second CA that signed
// nothing, in a folder Mosquitto can still read after dropping root to its own user.
export function makePki (dir: string): { ca: string, wrongCa: string, cert: string, key: string } {
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }) }
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=roost test CA', '-keyout', 'ca.key', '-out', 'ca.crt')
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=roost wrong CA', '-keyout', 'wrong.key', '-out', 'wrong.crt')
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr')
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'server.ext', '-out', 'server.crt')
  fs.chmodSync(dir, 0o755)
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o644)
  const at = (file: string): string => path.join(dir, file)
  return { ca: at('ca.crt'), wrongCa: at('wrong.crt'), cert: at('server.crt'), key: at('server.key') }
}

// Mosquitto with its plain listener (for mosquitto_pub and mosquitto_sub) and a TLS one.
export async function startTlsMosquitto (t: ExecutionContext, extraConfig: string[] = [], opts: { login?: Login } = {}) {
  const pki = makePki(tmpDir(t))
  const tlsPort = await freePort()
  const broker = await startMosquitto(t, [...extraConfig, `listener ${tlsPort} 127.0.0.1`, `cafile ${pki.ca}`, `certfile ${pki.cert}`, `keyfile ${pki.key}`], opts)
  return { broker, pki, tlsUrl: `mqtts://127.0.0.1:${tlsPort}` }
}

// mosquitto_pub: one message, waiting until the broker has it (QoS 1 waits for PUBACK).
export function publish (broker: Broker, topic: string, payload: string, qos: 0 | 1 | 2 = 1, retain = false): Promise<void> {
  const tool = findMosquittoTool('mosquitto_pub')
  return new Promise((resolve, reject) => {
    execFile(tool, ['-h', '127.0.0.1', '-p', String(broker.port), ...loginArgs(broker), '-t', topic, '-m', payload, '-q', String(qos), ...(retain ? ['-r'] : [])], { timeout: 10_000 },
      (err, _stdout, stderr) => { err ? reject(new Error(`mosquitto_pub failed: ${err.message} ${stderr}`)) : resolve() })
  })
}

// mosquitto_sub on one topic for the length of the test, one line per message.
let subscribers = 0
export function subscribe (t: ExecutionContext, broker: Broker, topic: string, qos: 0 | 1 | 2 = 1): Subscriber {
  const tool = findMosquittoTool('mosquitto_sub')
  const clientId = `roost-test-sub-${process.pid}-${++subscribers}`
  const child = spawn(tool, ['-h', '127.0.0.1', '-p', String(broker.port), ...loginArgs(broker), '-i', clientId, '-t', topic, '-q', String(qos), '-F', 'message %t %p'],
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
