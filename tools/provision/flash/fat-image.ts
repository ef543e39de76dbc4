// A FAT image file read and written with mtools (mtype, mdir, mcopy, mmd, mdel, minfo),
// never mounted. The file is either the boot partition itself or a whole card image
// (partition table first): then mtools is pointed at the first partition, if it is FAT.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ProvisionError } from '../errors.ts'
import { localFiles, parentFolders } from './boot-folder.ts'
import type { BootPartition } from './boot-partition.ts'

const SECTOR = 512
// MBR partition types of FAT file systems.
const FAT_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e])

export function openFatImage (file: string): BootPartition {
  const loop = loopDeviceOf(file)
  if (loop !== null) throw ProvisionError.IMAGE_IN_USE(file, loop)
  const offset = fatOffset(file)
  const image = offset === 0 ? file : `${file}@@${offset}`
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-flash-'))
  let listing: Set<string> | null = null
  // What this run read or wrote, so that each file is read out of the image once.
  const known = new Map<string, Buffer | null>()
  // Every folder of the image, '/'-separated without a leading slash, read once.
  const folders = (): Set<string> => {
    listing ??= new Set(mtools('mdir', ['-/', '-b', '-i', image, '::/']).toString('utf8').split('\n')
      .filter((line) => line.endsWith('/')).map((line) => line.slice('::/'.length, -1)))
    return listing
  }

  return {
    where: file,
    kind: 'FAT image',
    readFile (name) {
      if (!known.has(name)) {
        const result = run('mtype', ['-i', image, `::/${name}`])
        if (result.status !== 0 && !/not found/i.test(result.stderr)) throw ProvisionError.TOOL_FAILED(`mtype ::/${name}`, firstLine(result.stderr))
        known.set(name, result.status === 0 ? result.stdout : null)
      }
      return known.get(name) ?? null
    },
    listFiles (dir) {
      if (!folders().has(dir)) return new Map()
      // One mcopy takes the whole folder out; comparing there is faster than one mtype a file.
      const out = fs.mkdtempSync(path.join(temp, 'read-'))
      mtools('mcopy', ['-s', '-n', '-i', image, `::/${dir}`, out])
      return localFiles(path.join(out, path.posix.basename(dir)))
    },
    space () {
      const free = /([\d ]+) bytes free/.exec(mtools('mdir', ['-i', image, '::/']).toString('utf8'))
      const info = mtools('minfo', ['-i', image, '::']).toString('utf8')
      const sectorBytes = Number(/sector size: (\d+) bytes/.exec(info)?.[1] ?? SECTOR)
      const sectorsPerCluster = Number(/cluster size: (\d+) sectors/.exec(info)?.[1] ?? 1)
      if (free === null) throw ProvisionError.TOOL_FAILED('mdir', 'no "bytes free" line')
      return { freeBytes: Number(free[1].replace(/ /g, '')), clusterBytes: sectorBytes * sectorsPerCluster }
    },
    write (files) {
      const made = folders()
      const newFolders = [...new Set(files.flatMap(({ path: name }) => parentFolders(name)))].filter((dir) => !made.has(dir))
      if (newFolders.length > 0) {
        mtools('mmd', ['-i', image, ...newFolders.map((dir) => `::/${dir}`)])
        for (const dir of newFolders) made.add(dir)
      }
      // One mcopy per target folder; the staged copies keep their names so that mcopy
      // puts each under its own name.
      const byFolder = new Map<string, string[]>()
      files.forEach(({ path: name, data }, i) => {
        const staged = path.join(temp, 'write', String(i), path.posix.basename(name))
        fs.mkdirSync(path.dirname(staged), { recursive: true })
        fs.writeFileSync(staged, data)
        const dir = path.posix.dirname(name)
        byFolder.set(dir, [...(byFolder.get(dir) ?? []), staged])
      })
      for (const [dir, staged] of byFolder) {
        mtools('mcopy', ['-o', '-i', image, ...staged, dir === '.' ? '::/' : `::/${dir}/`])
      }
      for (const { path: name, data } of files) known.set(name, data)
      fs.rmSync(path.join(temp, 'write'), { recursive: true, force: true })
    },
    remove (names) {
      if (names.length > 0) mtools('mdel', ['-i', image, ...names.map((name) => `::/${name}`)])
      for (const name of names) known.set(name, null)
    },
    close () {
      fs.rmSync(temp, { recursive: true, force: true })
    }
  }
}

// Where the FAT file system starts in the file: 0 for a partition image, the first
// partition's start for a card image with an MBR partition table.
function fatOffset (file: string): number {
  const first = readSector(file, 0)
  if (first === null) throw ProvisionError.BOOT_NOT_FAT(file, 'it is shorter than one sector')
  if (isFatBootSector(first)) return 0
  if (first.readUInt16LE(510) !== 0xaa55) throw ProvisionError.BOOT_NOT_FAT(file, 'it has neither a FAT boot sector nor a partition table')
  const entry = first.subarray(446, 462)
  if (entry[4] === 0xee) throw ProvisionError.BOOT_NOT_FAT(file, 'it has a GPT partition table; Raspberry Pi OS images have an MBR one')
  if (!FAT_TYPES.has(entry[4])) throw ProvisionError.BOOT_NOT_FAT(file, `its first partition is of type 0x${entry[4].toString(16).padStart(2, '0')}, not FAT`)
  const offset = entry.readUInt32LE(8) * SECTOR
  const boot = readSector(file, offset)
  if (boot === null || !isFatBootSector(boot)) throw ProvisionError.BOOT_NOT_FAT(file, 'its first partition holds no FAT file system')
  return offset
}

// A loop device backed by the image: it may be mounted, and two writers corrupt FAT.
function loopDeviceOf (file: string): string | null {
  const real = fs.realpathSync(file)
  let loops: string[]
  try {
    loops = fs.readdirSync('/sys/block').filter((name) => name.startsWith('loop'))
  } catch {
    return null
  }
  for (const loop of loops) {
    try {
      if (fs.readFileSync(`/sys/block/${loop}/loop/backing_file`, 'utf8').trim() === real) return `/dev/${loop}`
    } catch {}
  }
  return null
}

function isFatBootSector (sector: Buffer): boolean {
  const jump = sector[0] === 0xeb || sector[0] === 0xe9
  const bytesPerSector = sector.readUInt16LE(11)
  const type = sector.toString('latin1', 54, 59) + sector.toString('latin1', 82, 87)
  return jump && [512, 1024, 2048, 4096].includes(bytesPerSector) && type.includes('FAT')
}

function readSector (file: string, offset: number): Buffer | null {
  const sector = Buffer.alloc(SECTOR)
  const fd = fs.openSync(file, 'r')
  try {
    return fs.readSync(fd, sector, 0, SECTOR, offset) === SECTOR ? sector : null
  } finally {
    fs.closeSync(fd)
  }
}

interface ToolResult { status: number | null, stdout: Buffer, stderr: string }

function run (tool: string, args: string[]): ToolResult {
  // MTOOLS_SKIP_CHECK: images made by mkfs.fat -C have a geometry mtools would question.
  const result = spawnSync(tool, args, {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024
  })
  if (result.error !== undefined) {
    if ((result.error as { code?: string }).code === 'ENOENT') throw ProvisionError.TOOL_MISSING(tool)
    throw ProvisionError.TOOL_FAILED(tool, result.error.message)
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') }
}

function mtools (tool: string, args: string[]): Buffer {
  const result = run(tool, args)
  if (result.status !== 0) throw ProvisionError.TOOL_FAILED(`${tool} ${args.filter((a) => a.startsWith('::')).join(' ')}`.trim(), firstLine(result.stderr))
  return result.stdout
}

function firstLine (text: string): string {
  return text.trim().split('\n')[0] || 'no message'
}
