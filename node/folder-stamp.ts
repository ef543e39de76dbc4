// What changes when a file is added to or removed from a folder: the node polls this to
// see another process's changes (trusted/ by `roost trust`, agents/ by `roost agent`)
// without reading the folder every time. 'none' while the folder does not exist.
import fs from '#fs'

export function folderStamp (dir: string): string {
  try {
    const st = fs.statSync(dir)
    return `${st.mtimeMs}:${st.ino}`
  } catch {
    return 'none'
  }
}
