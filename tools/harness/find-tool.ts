// The path of an installed program: the first executable `name` in `dirs`, in order, or
// TOOL_MISSING naming the Debian packages that provide it.
import fs from 'node:fs'
import path from 'node:path'
import { HarnessError } from './errors.ts'

export function findTool (name: string, dirs: string[], packages: string): string {
  for (const dir of dirs) {
    const file = path.join(dir, name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {}
  }
  throw HarnessError.TOOL_MISSING(name, packages)
}

export function pathDirs (): string[] {
  return (process.env.PATH ?? '').split(path.delimiter)
}
