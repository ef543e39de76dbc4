// `roost fleet status` as a person reads it: one row per device, the figures of the ones
// that answered, and for the others why not, where the figures would be.
import type { FleetRow } from '../client/fleet.ts'
import type { NodeHealth } from '../../node/protocol/health-messages.ts'

const HEADER = ['NAME', 'BOARD', 'STATE', 'UPTIME', 'VERSION', 'ROLES', 'MEMORY', 'STORAGE', 'FEEDS', 'BROKER', 'LAST ERROR']
// Columns a device that did not answer shows; its reason takes the place of the rest.
const ALWAYS_SHOWN = 3

export function fleetTable (rows: readonly FleetRow[], now = Date.now()): string {
  const cells = rows.map((row) => [row.name, row.board, stateOf(row), ...(row.health ? figures(row.health, now) : [])])
  const widths = HEADER.map((title, i) => Math.max(title.length, ...cells.filter((c) => c.length > i).map((c) => c[i].length)))
  const line = (values: string[]): string => values.map((v, i) => i === values.length - 1 ? v : v.padEnd(widths[i])).join('  ')
  const lines = [line(HEADER)]
  rows.forEach((row, i) => {
    lines.push(row.health ? line(cells[i]) : line([...cells[i].slice(0, ALWAYS_SHOWN), whyNot(row)]))
  })
  return lines.join('\n') + '\n' + summary(rows) + '\n'
}

function stateOf (row: FleetRow): string {
  return row.state === 'no-node' ? 'no node' : row.state
}

function whyNot (row: FleetRow): string {
  if (row.reason) return `${row.reason.code}: ${row.reason.message}`
  return 'Lua agent board: no node to ask (it forwards readings to a node on its LAN)'
}

function figures (h: NodeHealth, now: number): string[] {
  const lastError = h.errors.at(-1)
  return [
    duration(h.uptimeMs),
    h.version,
    h.roles.length > 0 ? h.roles.join(',') : '-',
    bytes(h.memory.rssBytes),
    `${bytes(h.dataBytes)} / ${bytes(h.budgetBytes)}`,
    h.feeds === null ? '-' : h.feeds.length === 0 ? 'none' : h.feeds.map((f) => `${f.name}=${f.length}`).join(','),
    h.broker === null
      ? '-'
      : [h.broker.connected ? 'connected' : 'disconnected',
          ...(h.broker.reconnects > 0 ? [`${h.broker.reconnects} reconnects`] : []),
          ...(h.broker.lastErrorCode ? [`last ${h.broker.lastErrorCode}`] : [])].join(', '),
    lastError ? `${lastError.code ?? lastError.event} ${duration(Math.max(0, now - lastError.atMs))} ago` : '-'
  ]
}

function summary (rows: readonly FleetRow[]): string {
  const count = (state: FleetRow['state']): number => rows.filter((r) => r.state === state).length
  const parts = [`${count('up')} up`, `${count('down')} down`]
  if (count('refused') > 0) parts.push(`${count('refused')} refused`)
  if (count('no-node') > 0) parts.push(`${count('no-node')} without a node (not asked)`)
  return parts.join(', ')
}

function duration (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`
}

function bytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}
