// Where roost keeps the user's things: ROOST_HOME, else $XDG_DATA_HOME/roost, else
// ~/.local/share/roost. The data folder of `roost run`'s node and the CLI's own client
// identity live there.
import os from 'node:os'
import path from 'node:path'

export function roostHome (): string {
  if (process.env.ROOST_HOME) return path.resolve(process.env.ROOST_HOME)
  const xdg = process.env.XDG_DATA_HOME
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'share'), 'roost')
}

export function defaultNodeDataDir (): string {
  return path.join(roostHome(), 'node')
}

export function clientIdentityDir (): string {
  return path.join(roostHome(), 'client')
}

export function buildCacheDir (): string {
  return path.join(roostHome(), 'build')
}
