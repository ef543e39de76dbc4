// Whether any file under a folder contains a piece of text: how the demo and the tests
// show that a node's storage holds no plaintext of what it keeps.
import fs from 'node:fs'
import path from 'node:path'

export function folderContains (dir: string, text: string): boolean {
  const needle = Buffer.from(text)
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && fs.readFileSync(path.join(e.parentPath, e.name)).includes(needle)) return true
  }
  return false
}
