// The MQTT broker for `roost demo`: Mosquitto when it is installed (what a Pi or
// router runs), else an embedded aedes broker, both on a free loopback port.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { accepts, findMosquittoTool, freePort } from './mosquitto.ts'
import { HarnessError } from './errors.ts'

// The Mosquitto settings the README gives for a bridge's broker: no limit on the QoS 1
// messages kept for a persistent session while the node is away (the default drops past
// 1,000), so nothing the sensors published is lost to a node restart.
export const KEEP_EVERY_READING = ['max_queued_messages 0', 'max_queued_bytes 0']

export interface DemoBroker { url: string, kind: 'mosquitto' | 'aedes', stop (): Promise<void> }

function findMosquitto (): string | null {
  try {
    return findMosquittoTool('mosquitto')
  } catch {
    return null
  }
}

export async function startDemoBroker (): Promise<DemoBroker> {
  const port = await freePort()
  const url = `mqtt://127.0.0.1:${port}`
  // ROOST_DEMO_BROKER=aedes shows the embedded broker even where Mosquitto is installed.
  const mosquitto = process.env.ROOST_DEMO_BROKER === 'aedes' ? null : findMosquitto()
  if (mosquitto) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-demo-broker-'))
    const config = path.join(dir, 'mosquitto.conf')
    fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n${KEEP_EVERY_READING.join('\n')}\n`)
    const child = spawn(mosquitto, ['-c', config], { stdio: 'ignore' })
    const stop = async (): Promise<void> => {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }
    for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    if (!(await accepts(port))) {
      await stop()
      throw HarnessError.DID_NOT_START(`mosquitto on 127.0.0.1:${port}`, '(not kept: the demo broker logs nowhere)')
    }
    return { url, kind: 'mosquitto', stop }
  }
  const { Aedes } = await import('aedes')
  const broker = await Aedes.createBroker()
  const server = net.createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()))
  return {
    url,
    kind: 'aedes',
    async stop () {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    }
  }
}
