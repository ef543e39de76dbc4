// A real Mosquitto broker on a free loopback port, started from a generated config
// for `roost bench`, with its log kept so a caller knows when a subscription is in
// place. close() stops it and removes its folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { processWaiter } from './process-waiter.ts'
import { sleep } from '../bench/measure.ts'
import { HarnessError } from './errors.ts'

export interface Broker {
  port: number
  url: string
  pid: number
  log: string[]
  // Resolves with the first broker log line that matches.
  waitForLog (pattern: RegExp, timeoutMs?: number): Promise<string>
  close (): Promise<void>
}

const START_TIMEOUT_MS = 5000

// Debian installs the broker in /usr/sbin, which a non-root PATH may lack.
export function findMosquittoTool (name: 'mosquitto' | 'mosquitto_pub' | 'mosquitto_sub'): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin']
  for (const dir of dirs) {
    const file = path.join(dir, name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {}
  }
  throw HarnessError.TOOL_MISSING(name, 'mosquitto and mosquitto-clients')
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

// `settings` are mosquitto.conf lines added to the listener and logging ones.
export async function startMosquitto (settings: string[]): Promise<Broker> {
  const mosquitto = findMosquittoTool('mosquitto')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-mosquitto-'))
  const port = await freePort()
  const config = path.join(dir, 'mosquitto.conf')
  // Subscriptions are logged, so a caller knows when one is in place; nothing is
  // logged per message.
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, 'log_dest stderr',
    ...['error', 'warning', 'notice', 'subscribe'].map((type) => `log_type ${type}`), ...settings, ''].join('\n'))
  const child = spawn(mosquitto, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  const log: string[] = []
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  const waiter = processWaiter('mosquitto', gone, () => `its log: ${log.join(' | ')}`)
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    log.push(line)
    waiter.wake()
  })
  child.on('close', () => waiter.wake())

  const close = async (): Promise<void> => {
    await stopProcess(child)
    fs.rmSync(dir, { recursive: true, force: true })
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

  function waitForLog (pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<string> {
    return waiter.until(() => log.find((l) => pattern.test(l)), `mosquitto log line ${pattern}`, timeoutMs)
  }

  return { port, url: `mqtt://127.0.0.1:${port}`, pid: child.pid!, log, waitForLog, close }
}

export function mosquittoVersion (): string {
  // `mosquitto -h` prints its version and exits non-zero.
  const { stdout } = spawnSync(findMosquittoTool('mosquitto'), ['-h'], { encoding: 'utf8' })
  return /mosquitto version (\S+)/.exec(stdout)?.[1] ?? 'unknown'
}
