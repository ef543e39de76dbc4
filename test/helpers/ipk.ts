// An .ipk unpacked with the system's tar the way opkg unpacks it: the outer gzip'd tar,
// then control.tar.gz and data.tar.gz, with each data entry's mode and owner as tar lists them.
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { runTool } from './system-tool.ts'
import { tmpDir } from './tmp.ts'

export interface Unpacked { outer: string[], control: Record<string, string>, dir: string, modes: Record<string, string> }

export function unpackIpk (t: ExecutionContext, ipk: string): Unpacked {
  const dir = tmpDir(t)
  const tarOk = (args: string[]): string => {
    const result = runTool(t, 'tar', args, { cwd: dir })
    t.is(result.code, 0, result.stderr)
    return result.stdout
  }
  const outer = tarOk(['-tzf', ipk]).trim().split('\n')
  tarOk(['-xzf', ipk])
  for (const part of ['control', 'data']) {
    fs.mkdirSync(path.join(dir, part))
    tarOk(['-xzf', `${part}.tar.gz`, '-C', part])
  }
  // "-rwxr-xr-x 0/0 2072 1970-01-01 00:00 ./etc/init.d/roost" → { './etc/init.d/roost': '-rwxr-xr-x 0/0' }
  const modes = Object.fromEntries(tarOk(['-tvzf', 'data.tar.gz']).trim().split('\n').map((line) => {
    const fields = line.split(/\s+/)
    return [fields[5], `${fields[0]} ${fields[1]}`]
  }))
  const control = Object.fromEntries(fs.readFileSync(path.join(dir, 'control', 'control'), 'utf8').trim().split('\n').map((line) => {
    const colon = line.indexOf(': ')
    return [line.slice(0, colon), line.slice(colon + 2)]
  }))
  return { outer, control, dir, modes }
}

// Each script is executable and `sh -n` finds nothing wrong in it (dash here; busybox ash on
// the router reads the same POSIX sh).
export function assertValidScripts (t: ExecutionContext, dir: string, scripts: string[]): void {
  for (const script of scripts) {
    const file = path.join(dir, script)
    t.is(fs.statSync(file).mode & 0o777, 0o755, script)
    const result = runTool(t, 'sh', ['-n', file])
    t.is(result.stderr, '', script)
    t.is(result.code, 0, script)
  }
}
