// Where roost keeps the user's things: ROOST_HOME, else $XDG_DATA_HOME/roost, else
// ~/.local/share/roost. The node's default storage and the CLI's own client identity
// live there.
import os from 'node:os'
import path from 'node:path'

export function dataDir (): string {
  if (process.env.ROOST_HOME) return path.resolve(process.env.ROOST_HOME)
  const xdg = process.env.XDG_DATA_HOME
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'share'), 'roost')
}

export function defaultNodeStorage (): string {
  return path.join(dataDir(), 'node')
}

export function clientIdentityDir (): string {
  return path.join(dataDir(), 'client')
}

export function buildCacheDir (): string {
  return path.join(dataDir(), 'build')
}
