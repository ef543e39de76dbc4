// The broker's side of "nothing lost": Mosquitto drops QoS 1 messages it queues for a
// persistent session once it holds max_queued_messages of them (1,000 by default) while
// the bridge is away. It counts every message it drops in $SYS/broker/publish/messages/
// dropped, published every sys_interval (10 s by default). The bridge reads that count
// and says in its log when it grew since it last looked, with the settings that stop it:
// readings for this node may be among them. The count is the broker's, for all clients.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'

export const DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped'
const FILE = 'bridge-broker-dropped.json'

export interface BrokerDrops {
  // A $SYS value arrived: how many more messages the broker dropped since the bridge last
  // looked (0 when none), remembered across restarts so drops while the node was down count.
  update (payload: Uint8Array): number
}

export function watchBrokerDrops (dataDir: string, broker: string): BrokerDrops {
  const file = path.join(dataDir, FILE)
  let seen = readSeen(file)[broker] ?? null
  return {
    update (payload) {
      const total = Number(b4a.toString(payload).trim())
      if (!Number.isSafeInteger(total) || total < 0) return 0
      // A restarted broker counts from 0 again: everything it counts now is new.
      const grew = seen === null ? 0 : total >= seen ? total - seen : total
      if (total !== seen) {
        seen = total
        save(file, broker, total)
      }
      return grew
    }
  }
}

function readSeen (file: string): Record<string, number> {
  try {
    return JSON.parse(b4a.toString(fs.readFileSync(file))) as Record<string, number>
  } catch {
    return {}
  }
}

function save (file: string, broker: string, total: number): void {
  const all = { ...readSeen(file), [broker]: total }
  const tmp = `${file}.tmp`
  try {
    fs.writeFileSync(tmp, JSON.stringify(all))
    fs.renameSync(tmp, file)
  } catch {}
}
