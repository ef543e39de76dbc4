// Board configs: one YAML file per board in board-configs/, checked field by field
// and across fields, with every problem reported as file:line: field.
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { z } from 'zod'
import { ROLES } from '../../node/config/types.ts'
import type { Role } from '../../node/config/types.ts'
import { ConfigError } from './errors.ts'
import { parseYamlWithSchema } from './yaml.ts'

export const HOSTS = ['linux-arm64', 'linux-x64', 'linux-arm', 'linux-mips', 'linux-mipsel'] as const
export type Host = typeof HOSTS[number]

export const OS_FAMILIES = ['debian', 'raspberry-pi-os', 'openwrt'] as const
export type OsFamily = typeof OS_FAMILIES[number]

export const INIT_SYSTEMS = ['systemd', 'procd'] as const
export type InitSystem = typeof INIT_SYSTEMS[number]

// What a board runs (its YAML key is `runtime`): the node on Bare, or, where its CPU has
// no Bare runtime, the Lua agent. Not to be confused with targets' Runtime, the JavaScript
// runtime (Bare or Node.js) an artifact is built for.
export const BOARD_PROGRAMS = ['bare', 'lua-agent'] as const
export type BoardProgram = typeof BOARD_PROGRAMS[number]

// Hosts the registry has no Bare runtime for: these boards run the Lua agent,
// which forwards readings to a node on the LAN instead of being a node.
const LUA_AGENT_HOSTS: readonly Host[] = ['linux-arm', 'linux-mips', 'linux-mipsel']

const INIT_OF_OS: Record<OsFamily, InitSystem> = {
  debian: 'systemd',
  'raspberry-pi-os': 'systemd',
  openwrt: 'procd'
}

export const OS_NAMES: Record<OsFamily, string> = {
  debian: 'Debian',
  'raspberry-pi-os': 'Raspberry Pi OS',
  openwrt: 'OpenWrt'
}

export interface Board {
  id: string
  name: string
  cpu: string
  host: Host
  os: OsFamily
  init: InitSystem
  ramMb: number
  storagePath: string
  memoryBudgetMb: number
  program: BoardProgram
  defaultRoles: Role[]
  // What the storage role may use of the board's disk for users' cores; null without one.
  storageBudgetMb: number | null
  // The package architecture opkg installs for (OpenWrt's target CPU_TYPE, e.g.
  // aarch64_cortex-a53); null for boards that are not OpenWrt.
  openwrtArch: string | null
}

export const BOARD_CONFIG_DIR: string = path.join(REPO_ROOT, 'board-configs')

const BOARD_FILE_EXT = '.yaml'
const BOARD_ID = /^[a-z0-9][a-z0-9-]*$/

function boardSchema (fileId: string): z.ZodType<Board> {
  return z.strictObject({
    id: z.string().min(1),
    name: z.string().min(1),
    cpu: z.string().min(1),
    host: z.enum(HOSTS),
    os: z.enum(OS_FAMILIES),
    init: z.enum(INIT_SYSTEMS),
    ram_mb: z.number().int().positive(),
    storage_path: z.string().min(1),
    memory_budget_mb: z.number().int().positive(),
    runtime: z.enum(BOARD_PROGRAMS),
    default_roles: z.array(z.enum(ROLES)),
    storage_budget_mb: z.number().int().positive().optional(),
    openwrt_arch: z.string().regex(/^[a-z0-9_-]+$/).optional()
  }).superRefine((board, ctx) => {
    const fail = (field: keyof typeof board, message: string, hint?: string): void => {
      ctx.addIssue({ code: 'custom', path: [field], message, input: board[field], params: { hint } })
    }

    if (board.id !== fileId) {
      fail('id', `expected "${fileId}" (the file name without ${BOARD_FILE_EXT})`,
        `rename the file to ${board.id}${BOARD_FILE_EXT} or set id: ${fileId}`)
    }
    if (!path.posix.isAbsolute(board.storage_path)) {
      fail('storage_path', 'expected an absolute path on the device')
    }
    if (board.memory_budget_mb >= board.ram_mb) {
      fail('memory_budget_mb', `expected less than ram_mb (${board.ram_mb})`,
        'leave the rest of the RAM to the OS and the board\'s other services')
    }
    const expectedRuntime: BoardProgram = LUA_AGENT_HOSTS.includes(board.host) ? 'lua-agent' : 'bare'
    if (board.runtime !== expectedRuntime) {
      fail('runtime', expectedRuntime === 'lua-agent'
        ? `expected lua-agent, as there is no Bare runtime for ${board.host}`
        : `expected bare, as ${board.host} runs the node on Bare`)
    }
    if (board.runtime === 'lua-agent' && board.default_roles.length > 0) {
      fail('default_roles', 'expected [] for runtime lua-agent (the Lua agent forwards to a node, it is not one)',
        'give the lan-ingest role to a node on the same LAN instead')
    }
    const duplicate = board.default_roles.findIndex((role, i) => board.default_roles.indexOf(role) !== i)
    if (duplicate !== -1) {
      ctx.addIssue({ code: 'custom', path: ['default_roles', duplicate], message: 'expected each role once', input: board.default_roles[duplicate] })
    }
    if (board.default_roles.includes('storage') && board.storage_budget_mb === undefined) {
      ctx.addIssue({ code: 'custom', path: ['default_roles'], message: 'the storage role needs storage_budget_mb (how much of the disk users\' cores may use)', input: board.default_roles, params: { hint: 'add storage_budget_mb: 8192, sized to the board\'s disk' } })
    }
    if (board.init !== INIT_OF_OS[board.os]) {
      fail('init', `expected ${INIT_OF_OS[board.os]}, the init system of ${OS_NAMES[board.os]}`)
    }
    checkOpenwrtArch(board.os, board.host, board.openwrt_arch, fail)
  }).transform((board): Board => ({
    id: board.id,
    name: board.name,
    cpu: board.cpu,
    host: board.host,
    os: board.os,
    init: board.init,
    ramMb: board.ram_mb,
    storagePath: board.storage_path,
    memoryBudgetMb: board.memory_budget_mb,
    program: board.runtime,
    defaultRoles: board.default_roles,
    storageBudgetMb: board.storage_budget_mb ?? null,
    openwrtArch: board.openwrt_arch ?? null
  }))
}

// opkg refuses a package whose Architecture the router does not list, so an OpenWrt
// board names its package architecture, and its CPU family must be the host's.
const OPENWRT_ARCH_PREFIX: Record<Host, string> = {
  'linux-arm64': 'aarch64_',
  'linux-x64': 'x86_64',
  'linux-arm': 'arm_',
  'linux-mips': 'mips_',
  'linux-mipsel': 'mipsel_'
}

function checkOpenwrtArch (os: OsFamily, host: Host, arch: string | undefined, fail: (field: 'openwrt_arch', message: string, hint?: string) => void): void {
  if (os !== 'openwrt') {
    if (arch !== undefined) fail('openwrt_arch', 'only for os: openwrt', 'remove it')
    return
  }
  if (arch === undefined) {
    fail('openwrt_arch', 'expected the OpenWrt package architecture for os: openwrt',
      'add openwrt_arch: the CPU_TYPE of the board\'s OpenWrt target, e.g. aarch64_cortex-a53 for mediatek/filogic')
  } else if (!arch.startsWith(OPENWRT_ARCH_PREFIX[host])) {
    fail('openwrt_arch', `expected an architecture starting with ${OPENWRT_ARCH_PREFIX[host]} for host ${host}`)
  }
}

export function parseBoard (file: string, text: string): Board {
  return parseYamlWithSchema(file, text, boardSchema(path.basename(file, BOARD_FILE_EXT)))
}

export function loadBoards (dir: string = BOARD_CONFIG_DIR): Board[] {
  return boardIds(dir).map((id) => readBoard(dir, id))
}

export function loadBoard (id: string, dir: string = BOARD_CONFIG_DIR): Board {
  const ids = boardIds(dir)
  // The id becomes a file name: only ids listed in the folder are read.
  if (!BOARD_ID.test(id) || !ids.includes(id)) throw ConfigError.UNKNOWN_BOARD(id, ids)
  return readBoard(dir, id)
}

function boardIds (dir: string): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    throw ConfigError.NOT_FOUND(displayPath(dir))
  }
  return names
    .filter((name) => name.endsWith(BOARD_FILE_EXT))
    .map((name) => name.slice(0, -BOARD_FILE_EXT.length))
    .sort()
}

function readBoard (dir: string, id: string): Board {
  const file = path.join(dir, id + BOARD_FILE_EXT)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw ConfigError.NOT_FOUND(displayPath(file))
  }
  return parseBoard(displayPath(file), text)
}

// Messages name files the way the user would type them from where they stand.
function displayPath (file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file
}

export function formatBoardTable (boards: readonly Board[]): string {
  const header = ['ID', 'NAME', 'HOST', 'OS', 'RAM', 'RUNTIME']
  const rows = boards.map((board) => [
    board.id, board.name, board.host, OS_NAMES[board.os], formatRam(board.ramMb), board.program
  ])
  const ramColumn = header.indexOf('RAM')
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  return [header, ...rows]
    .map((cells) => cells
      .map((cell, column) => column === ramColumn ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd())
    .join('\n')
}

function formatRam (ramMb: number): string {
  return ramMb % 1024 === 0 ? `${ramMb / 1024} GB` : `${ramMb} MB`
}
