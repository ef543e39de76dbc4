// The boot partition roost flash writes to: a mounted folder, or a FAT image file that
// is written with mtools and never mounted. Both answer the same few questions, so the
// rest of flash does not know which one it has.
import fs from 'node:fs'
import { ProvisionError } from '../errors.ts'
import { openFolder } from './boot-folder.ts'
import { openFatImage } from './fat-image.ts'

export interface BootFile {
  size: number
  read (): Buffer
}

export interface BootPartition {
  // As the user named it, for messages.
  readonly where: string
  readonly kind: 'folder' | 'FAT image'
  // A file at the partition's top or below it, by its '/'-separated path; null if absent.
  readFile (name: string): Buffer | null
  // Every file under a folder of the partition, by its path relative to that folder.
  listFiles (dir: string): Map<string, BootFile>
  space (): { freeBytes: number, clusterBytes: number }
  // Writes the files (their folders are made as needed). A file is replaced whole.
  write (files: ReadonlyArray<{ path: string, data: Buffer }>): void
  remove (paths: readonly string[]): void
  close (): void
}

// The safety rule: a folder or a regular file, never a device. A block device is refused
// with no flag to allow it, since one wrong /dev/sdX destroys a disk; mounting the boot
// partition and passing its folder does the same job.
export function openBootPartition (bootPath: string): BootPartition {
  let stat: fs.Stats
  try {
    stat = fs.statSync(bootPath)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw ProvisionError.BOOT_NOT_FOUND(bootPath)
    throw err
  }
  const kind = stat.isBlockDevice()
    ? 'block device'
    : stat.isCharacterDevice() ? 'character device' : stat.isFIFO() ? 'pipe' : stat.isSocket() ? 'socket' : null
  if (kind !== null) throw ProvisionError.BOOT_IS_DEVICE(bootPath, kind)
  const boot = stat.isDirectory() ? openFolder(bootPath) : openFatImage(bootPath)
  if (boot.readFile('cmdline.txt') === null) {
    boot.close()
    throw ProvisionError.NOT_A_BOOT_PARTITION(bootPath, 'it has no cmdline.txt')
  }
  return boot
}
