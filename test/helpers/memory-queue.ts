// The Lua agent's queue file (targets/lua/agent/queue.ts QueueStore) in memory, for the
// unit tests that run the agent's queue under Node: what it holds, how it was written,
// and a switch that makes every write fail.
import type { QueueStore } from '../../targets/lua/agent/queue.ts'

export interface MemoryFile {
  text: string | undefined
  appends: number
  appendedBytes: number
  replaces: number
  largest: number
  failWrites: boolean
}

export function newFile (text?: string): MemoryFile {
  return { text, appends: 0, appendedBytes: 0, replaces: 0, largest: 0, failWrites: false }
}

export function memoryStore (file: MemoryFile): QueueStore {
  const track = (): void => { file.largest = Math.max(file.largest, file.text?.length ?? 0) }
  return {
    read: () => file.text,
    append: (text) => {
      if (file.failWrites) return false
      file.text = (file.text ?? '') + text
      file.appends++
      file.appendedBytes += text.length
      track()
      return true
    },
    replace: (text) => {
      if (file.failWrites) return false
      file.text = text
      file.replaces++
      track()
      return true
    }
  }
}
