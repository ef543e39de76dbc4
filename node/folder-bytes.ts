import fs from '#fs'
import path from '#path'

// Bytes used by the files under a folder; unreadable entries count as zero.
export function folderBytes (dir: string): number {
  let total = 0
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return 0
  }
  for (const name of names) {
    const file = path.join(dir, name)
    try {
      const st = fs.lstatSync(file)
      if (st.isDirectory()) total += folderBytes(file)
      else if (st.isFile()) total += st.size
    } catch {}
  }
  return total
}
