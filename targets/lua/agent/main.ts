// The agent's entry: `lua5.3 roost-agent.lua [--check] [CONFIG]` (default
// /etc/config/roost-agent). A config with problems is reported in full, line by line, and
// the agent exits 1 before it opens a socket or the queue; --check stops there either way,
// so a config can be tried while the service runs (two agents must never share a queue).
import { logStats, newCounters, runAgent } from './agent.ts'
import { readAgentConfig } from './config.ts'
import { folderStore, readableByOthers, readFile } from './disk.ts'
import { openLink } from './link.ts'
import { logEvent } from './log.ts'
import { newMqtt } from './mqtt-client.ts'
import { openQueue } from './queue.ts'
import { urandomBytes } from './random.ts'
import { startProbing } from './renumber.ts'

const DEFAULT_CONFIG = '/etc/config/roost-agent'

function fail (message: string): never {
  io.stderr.write(`roost-agent: ${message}\n`)
  return os.exit(1)
}

function main (): void {
  // Sealing makes short-lived byte tables; collecting without waiting for the heap to double
  // kept a burst of 1,000 readings at 4.7 MB RSS instead of 5.4 MB, for no CPU time we could
  // measure (x86-64, lua5.3; the board's budget is 4 MB, the interpreter alone 2.4 MB).
  collectgarbage('setpause', 100)
  const checkOnly = arg[0] === '--check'
  const configFile = (checkOnly ? arg[1] : arg[0]) ?? DEFAULT_CONFIG
  const text = readFile(configFile)
  if (text === undefined) return fail(`cannot read the config ${configFile}`)
  const checked = readAgentConfig(text)
  if (!checked.ok) {
    for (let i = 0; i < checked.problems.length; i++) {
      const p = checked.problems[i]
      io.stderr.write(`${configFile}:${p.line}: ${p.field}: ${p.reason}\n`)
    }
    return fail(`${checked.problems.length} problem(s) in ${configFile}; nothing was sent`)
  }
  const config = checked.config
  if (checkOnly) {
    print(`roost-agent: ${configFile} is a valid config`)
    return os.exit(0)
  }
  // UCI files are often 0644; this one holds the device key.
  const mode = readableByOthers(configFile)
  if (mode !== undefined) logEvent('warning', 'reason', 'the config holds the device key and others may read it', 'mode', mode, 'fix', `chmod 600 ${configFile}`)

  const opened = openQueue(folderStore(config.queueDir), config.queueMaxBytes)
  if (!opened.ok) return fail(`cannot write the queue in ${config.queueDir}`)
  // Numbering from 1 with no queue: a lost queue, or the first start. Either way the
  // node's first answer says which (renumber.ts).
  if (opened.fresh) startProbing(opened.queue, 0)
  const udp = openLink(config.nodeHost, config.nodePort)
  if (typeof udp === 'string') return fail(udp)
  const agent = {
    config,
    device: { key: config.key, deviceId: config.deviceId, randomBytes: urandomBytes },
    queue: opened.queue,
    udp,
    mqtt: config.broker === undefined ? undefined : newMqtt(config.broker),
    counters: newCounters(),
    failing: {}
  }
  logEvent('start', 'config', configFile, 'node', `${config.nodeHost}:${config.nodePort}`, 'queue', config.queueDir,
    'in_queue', opened.queue.liveCount, 'next_seq', opened.queue.nextSeq, 'cut_bytes', opened.cutBytes, 'dropped', opened.dropped,
    'new_queue', opened.fresh ? 1 : 0)
  logStats(agent)
  runAgent(agent)
}

main()
