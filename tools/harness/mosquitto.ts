// A real Mosquitto broker on a free loopback port, from a generated config, and its
// command-line clients: for the demo, the bench and the tests. The broker's log is kept
// (subscriptions included), so a caller knows when a subscription is in place.
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { HarnessError } from './errors.ts'
import { findTool, pathDirs } from './find-tool.ts'
import { processWaiter } from './process-waiter.ts'
import { sleep } from './wait.ts'
import { watched } from './watched.ts'

export interface Login { username: string, password: string }

export interface Broker {
  port: number
  url: string
  pid: number
  log: string[]
  // Set when the broker refuses anonymous clients: what mosquitto_pub and _sub log in with.
  login?: Login
  // Resolves with the first broker log line that matches.
  waitForLog (pattern: RegExp, timeoutMs?: number): Promise<string>
  // Stops the broker and removes its folder.
  close (): Promise<void>
}

export interface BrokerOptions {
  // mosquitto.conf lines after the listener, the login and the logging ones.
  settings?: string[]
  // The broker refuses anonymous clients and knows this one user.
  login?: Login
  // Log each client's connect and disconnect too (default: errors, warnings, notices
  // and subscriptions; nothing per message either way).
  logConnections?: boolean
}

const START_TIMEOUT_MS = 5000

// Debian installs the broker in /usr/sbin, which a non-root PATH may lack.
export function findMosquittoTool (name: 'mosquitto' | 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_passwd'): string {
  return findTool(name, [...pathDirs(), '/usr/sbin', '/usr/local/sbin'], 'mosquitto and mosquitto-clients')
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

export async function stopProcess (child: ChildProcess, timeoutMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await closed
  clearTimeout(timer)
}

export async function startMosquitto (opts: BrokerOptions = {}): Promise<Broker> {
  const mosquitto = findMosquittoTool('mosquitto')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-mosquitto-'))
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true })
  let port: number
  let auth: string[]
  try {
    port = await freePort()
    auth = opts.login ? passwordFileConfig(dir, opts.login) : ['allow_anonymous true']
  } catch (err) {
    remove()
    throw err
  }
  const config = path.join(dir, 'mosquitto.conf')
  const logTypes = ['error', 'warning', 'notice', ...(opts.logConnections === true ? ['information'] : []), 'subscribe']
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, ...auth, 'persistence false', 'log_dest stderr',
    ...logTypes.map((type) => `log_type ${type}`), ...(opts.settings ?? []), ''].join('\n'))
  const child = spawn(mosquitto, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  const log: string[] = []
  const record = watched(`mosquitto :${port}`, child)
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  const waiter = processWaiter('mosquitto', gone, () => `its log: ${log.join(' | ')}`)
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    record.line(line)
    log.push(line)
    waiter.wake()
  })
  child.on('close', () => waiter.wake())

  const close = async (): Promise<void> => {
    await stopProcess(child)
    remove()
  }

  try {
    const deadline = Date.now() + START_TIMEOUT_MS
    while (!(await accepts(port))) {
      if (gone() || Date.now() > deadline) throw HarnessError.DID_NOT_START(`mosquitto on 127.0.0.1:${port}`, log.join(' | '))
      await sleep(50)
    }
  } catch (err) {
    await close()
    throw err
  }

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    log,
    login: opts.login,
    waitForLog: (pattern, timeoutMs = START_TIMEOUT_MS) => waiter.until(() => log.find((l) => pattern.test(l)), `mosquitto log line ${pattern}`, timeoutMs),
    close
  }
}

// Mosquitto reads its password file after dropping root to its own user: the folder and
// file are opened up to it (the file holds only a salted hash).
function passwordFileConfig (dir: string, login: Login): string[] {
  const file = path.join(dir, 'passwords')
  execFileSync(findMosquittoTool('mosquitto_passwd'), ['-b', '-c', file, login.username, login.password], { stdio: 'pipe' })
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(file, 0o644)
  return ['allow_anonymous false', `password_file ${file}`]
}

export interface Pki { ca: string, wrongCa: string, cert: string, key: string }

// A CA, a certificate it signs for 127.0.0.1 (an IP SAN), and a second CA that signed
// nothing, in a folder Mosquitto can still read after dropping root to its own user.
export function makePki (dir: string): Pki {
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

// Mosquitto with its plain listener (for mosquitto_pub and mosquitto_sub) and a TLS one
// whose certificate `pki` (made in `pkiDir`) signs.
export async function startTlsMosquitto (pkiDir: string, opts: BrokerOptions = {}): Promise<{ broker: Broker, pki: Pki, tlsUrl: string }> {
  const pki = makePki(pkiDir)
  const tlsPort = await freePort()
  const settings = [...(opts.settings ?? []), `listener ${tlsPort} 127.0.0.1`, `cafile ${pki.ca}`, `certfile ${pki.cert}`, `keyfile ${pki.key}`]
  const broker = await startMosquitto({ ...opts, settings })
  return { broker, pki, tlsUrl: `mqtts://127.0.0.1:${tlsPort}` }
}

function loginArgs (broker: Broker): string[] {
  return broker.login ? ['-u', broker.login.username, '-P', broker.login.password] : []
}

// mosquitto_pub: one message, waiting until the broker has it (QoS 1 waits for PUBACK).
export function publish (broker: Broker, topic: string, payload: string, qos: 0 | 1 | 2 = 1, retain = false): Promise<void> {
  const tool = findMosquittoTool('mosquitto_pub')
  return new Promise((resolve, reject) => {
    execFile(tool, ['-h', '127.0.0.1', '-p', String(broker.port), ...loginArgs(broker), '-t', topic, '-m', payload, '-q', String(qos), ...(retain ? ['-r'] : [])], { timeout: 10_000 },
      (err, _stdout, stderr) => { err ? reject(HarnessError.CHECK_FAILED(`mosquitto_pub failed: ${err.message} ${stderr}`)) : resolve() })
  })
}

export interface LinePublisher {
  // One message per line, in order, at the publisher's QoS.
  send (line: string): void
  // Ends the input; resolves once mosquitto_pub has had every PUBACK and exited.
  end (): Promise<void>
  stop (): Promise<void>
}

// mosquitto_pub -l: one connection publishing each line written to it, for a stream of
// readings spread over time.
export function startLinePublisher (broker: Broker, topic: string, qos: 0 | 1 = 1): LinePublisher {
  const child = spawn(findMosquittoTool('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(broker.port), ...loginArgs(broker), '-t', topic, '-q', String(qos), '-l'],
    { stdio: ['pipe', 'ignore', 'ignore'] })
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return {
    send: (line) => { child.stdin!.write(line + '\n') },
    end: async () => {
      child.stdin!.end()
      await closed
    },
    stop: () => stopProcess(child)
  }
}

export interface Message { topic: string, payload: string }

export interface Subscriber {
  // Resolves once the broker has the subscription.
  subscribed: Promise<void>
  messages: Message[]
  waitForMessage (payload: string, timeoutMs?: number): Promise<Message>
  stop (): Promise<void>
}

// mosquitto_sub on one topic until stopped, one line per message.
let subscribers = 0
export function subscribe (broker: Broker, topic: string, qos: 0 | 1 | 2 = 1): Subscriber {
  const tool = findMosquittoTool('mosquitto_sub')
  const clientId = `roost-sub-${process.pid}-${++subscribers}`
  const child = spawn(tool, ['-h', '127.0.0.1', '-p', String(broker.port), ...loginArgs(broker), '-i', clientId, '-t', topic, '-q', String(qos), '-F', 'message %t %p'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  const messages: Message[] = []
  const output: string[] = []
  const waiter = processWaiter('mosquitto_sub', () => child.exitCode !== null || child.signalCode !== null, () => `mosquitto_sub output: ${output.join(' | ')}`)
  child.on('close', () => waiter.wake())
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(line)
    const message = /^message (\S+) (.*)$/.exec(line)
    if (message) messages.push({ topic: message[1], payload: message[2] })
    waiter.wake()
  })
  readline.createInterface({ input: child.stderr! }).on('line', (line) => { output.push(line) })
  return {
    // The broker logs "<client id> <qos> <topic>" for each subscription it takes.
    subscribed: broker.waitForLog(new RegExp(`: ${clientId} \\d ${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)).then(() => undefined),
    messages,
    waitForMessage: (payload, timeoutMs = 10_000) => waiter.until(() => messages.find((m) => m.payload === payload), `message "${payload}"`, timeoutMs),
    stop: () => stopProcess(child)
  }
}

export function mosquittoVersion (): string {
  // `mosquitto -h` prints its version and exits non-zero.
  const { stdout } = spawnSync(findMosquittoTool('mosquitto'), ['-h'], { encoding: 'utf8' })
  return /mosquitto version (\S+)/.exec(stdout)?.[1] ?? 'unknown'
}
