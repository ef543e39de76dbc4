// File and command sensors, read once per interval. A reading is the trimmed text; an
// empty one is a failure (logged), not a reading. A command's exit status is not looked
// at: `grep -c` prints 0 and exits 1, and that 0 is a reading. A command runs to its end
// before the agent goes on (io.popen): keep commands short.
import * as socket from 'socket'
import { type Sensor } from './config.ts'
import { readFile } from './disk.ts'
import { type Reading } from './readings.ts'
import { trim } from './text.ts'

export interface SensorFailure {
  topic: string
  reason: string
}

export interface SensorReadings {
  readings: Reading[]
  failures: SensorFailure[]
}

export function nowMs (): number {
  return Math.floor(socket.gettime() * 1000)
}

function commandOutput (command: string): string | undefined {
  const [pipe] = io.popen(command, 'r')
  if (pipe === undefined) return undefined
  const output = pipe.read('a')
  pipe.close()
  return output
}

function take (out: SensorReadings, sensor: Sensor, text: string | undefined, what: string): void {
  const payload = text === undefined ? '' : trim(text)
  if (payload === '') out.failures.push({ topic: sensor.topic, reason: text === undefined ? `${what} failed` : `${what} gave nothing` })
  else out.readings.push({ topic: sensor.topic, payload, timeMs: nowMs() })
}

export function readSensors (files: Sensor[], commands: Sensor[]): SensorReadings {
  const out: SensorReadings = { readings: [], failures: [] }
  for (let i = 0; i < files.length; i++) take(out, files[i], readFile(files[i].source), 'reading the file')
  for (let i = 0; i < commands.length; i++) take(out, commands[i], commandOutput(commands[i].source), 'the command')
  return out
}
