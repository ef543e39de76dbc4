// cmdline.txt: one line of space-separated kernel arguments (the firmware reads only the
// first line). Entries are added once, at the end, and an entry already there with the
// same meaning is kept as it is, so a second flash changes nothing.
import { ProvisionError } from '../errors.ts'

export interface CmdlineEntry {
  key: string
  value: string
  // Another value of the same key that does the same job (Imager's spelling of it).
  alsoAccepts?: (value: string) => boolean
}

export function cmdlineTokens (text: Buffer): string[] {
  return text.toString('utf8').split(/\r?\n/)[0].split(/\s+/).filter((token) => token !== '')
}

// The new cmdline.txt with the entries, or null when every entry is already there (the
// file is then left byte for byte as it was).
export function addCmdlineEntries (file: string, text: Buffer, entries: readonly CmdlineEntry[]): Buffer | null {
  const lines = text.toString('utf8').split(/\r?\n/).filter((line) => line.trim() !== '')
  if (lines.length > 1) throw ProvisionError.CMDLINE_MULTILINE(file, lines.length)
  const tokens = cmdlineTokens(text)
  const added: string[] = []
  for (const entry of entries) {
    const wanted = `${entry.key}=${entry.value}`
    const existing = tokens.find((token) => token === entry.key || token.startsWith(`${entry.key}=`))
    if (existing === undefined) {
      added.push(wanted)
      continue
    }
    const value = existing.slice(entry.key.length + 1)
    if (value !== entry.value && entry.alsoAccepts?.(value) !== true) throw ProvisionError.CMDLINE_CONFLICT(file, existing, wanted)
  }
  if (added.length === 0) return null
  return Buffer.from([...tokens, ...added].join(' ') + '\n')
}
