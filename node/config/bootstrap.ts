// Bootstrap nodes as config.json, the CLI and the YAML write them: "host:port".
import { NodeError } from '../errors.ts'

export interface BootstrapNode { host: string, port: number }

// null when `value` is not host:port with a port from 1 to 65535: the one test of the
// form, which parseBootstrap refuses with and the config rules report with.
export function readBootstrap (value: string): BootstrapNode | null {
  const match = /^([^\s:]+):(\d{1,5})$/.exec(value)
  const port = match ? Number(match[2]) : 0
  if (!match || port < 1 || port > 65535) return null
  return { host: match[1], port }
}

export function parseBootstrap (value: string): BootstrapNode {
  const node = readBootstrap(value)
  if (node === null) throw NodeError.BAD_BOOTSTRAP(value)
  return node
}

export function formatBootstrap (node: BootstrapNode): string {
  return `${node.host}:${node.port}`
}
