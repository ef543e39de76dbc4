// Files under Lua: the config, file sensors and the queue's folder. Lua has no fsync: a
// write is flushed into the kernel by close(), which is what survives the agent dying
// (SIGKILL, a crash, procd restarting it). What survives a power cut depends on the flash
// file system (README, "Lua agent"); a rewrite of the queue is synced before it is renamed
// into place, so a power cut leaves the old file or the new one, whole.
import { type QueueStore } from './queue.ts'

export function shellQuote (text: string): string {
  const [quoted] = string.gsub(text, "'", "'\\''")
  return `'${quoted}'`
}

export function readFile (path: string): string | undefined {
  const [file] = io.open(path, 'rb')
  if (file === undefined) return undefined
  const text = file.read('a')
  file.close()
  return text ?? ''
}

function writeFile (path: string, text: string, mode: 'wb' | 'ab'): boolean {
  const [file] = io.open(path, mode)
  if (file === undefined) return false
  const [written] = file.write(text)
  const closed = file.close()
  return written !== undefined && closed
}

// The queue in DIR/queue.log, rewritten through DIR/queue.new; the folder is made if
// missing (a folder that cannot be written shows in the first write).
export function folderStore (dir: string): QueueStore {
  os.execute(`mkdir -p ${shellQuote(dir)}`)
  const file = `${dir}/queue.log`
  const next = `${dir}/queue.new`
  return {
    read: () => readFile(file),
    append: (text) => writeFile(file, text, 'ab'),
    replace: (text) => {
      if (!writeFile(next, text, 'wb')) return false
      // GNU sync and BusyBox's with FEATURE_SYNC_FANCY sync this one file; a plain BusyBox
      // sync ignores the name and syncs everything, which is rare enough here (rewrites).
      os.execute(`sync ${shellQuote(next)} 2>/dev/null`)
      const [renamed] = os.rename(next, file)
      return renamed === true
    }
  }
}

// The file's mode (as ls prints it) when its group or others may read it, else undefined.
export function readableByOthers (path: string): string | undefined {
  const [listing] = io.popen(`ls -ln ${shellQuote(path)} 2>/dev/null`, 'r')
  if (listing === undefined) return undefined
  const line = listing.read('a') ?? ''
  listing.close()
  const mode = line.substring(0, 10)
  return mode.length === 10 && (mode.substring(4, 5) === 'r' || mode.substring(7, 8) === 'r') ? mode : undefined
}
