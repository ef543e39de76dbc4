// A mounted boot partition: a folder, written with plain file operations.
import fs from 'node:fs'
import path from 'node:path'
import type { BootFile, BootPartition } from './boot-partition.ts'

export function openFolder (root: string): BootPartition {
  const full = (name: string): string => path.join(root, ...name.split('/'))
  return {
    where: root,
    kind: 'folder',
    readFile (name) {
      try {
        return fs.readFileSync(full(name))
      } catch (err) {
        if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as { code?: string }).code ?? '')) return null
        throw err
      }
    },
    listFiles (dir) {
      return fs.existsSync(full(dir)) ? localFiles(full(dir)) : new Map()
    },
    space () {
      // On vfat, statfs's block size is the cluster size.
      const stat = fs.statfsSync(root)
      return { freeBytes: stat.bavail * stat.bsize, clusterBytes: stat.bsize }
    },
    write (files) {
      for (const { path: name, data } of files) {
        const file = full(name)
        fs.mkdirSync(path.dirname(file), { recursive: true })
        // Replaced by a rename, so that a card pulled out mid-write keeps the old file
        // whole (cmdline.txt above all: a half-written one does not boot).
        const partial = `${file}.roost-partial`
        fs.writeFileSync(partial, data)
        fs.renameSync(partial, file)
      }
    },
    remove (names) {
      for (const name of names) fs.rmSync(full(name), { force: true })
    },
    close () {}
  }
}

// Every file under a local folder, by its '/'-separated path relative to it.
export function localFiles (base: string): Map<string, BootFile> {
  const files = new Map<string, BootFile>()
  for (const rel of fs.readdirSync(base, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(base, rel)
    const stat = fs.statSync(file)
    if (stat.isFile()) files.set(rel.split(path.sep).join('/'), { size: stat.size, read: () => fs.readFileSync(file) })
  }
  return files
}

// The folders a '/'-separated path lies in, outermost first: a/b/c → a, a/b.
export function parentFolders (name: string): string[] {
  const parts = name.split('/').slice(0, -1)
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'))
}
