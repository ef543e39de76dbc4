// The agent devices the lan-ingest role knows, by id: the config's devices (key written
// there or in a key file) and the ones in the data folder's agents/ (agent-files.ts),
// which it looks at again within a second of a change, so `roost agent add` and
// `remove` take effect on a running node. A device that cannot be used is logged with
// its code and hint and left out; the others keep working.
import path from '#path'
import b4a from 'b4a'
import type { MappingRule } from '../bridge/rules.ts'
import type { LanDevice } from '../config/types.ts'
import { NodeError } from '../errors.ts'
import { folderStamp } from '../folder-stamp.ts'
import type { Logger } from '../log.ts'
import { agentsDir, readAgentFiles, readKeyFile } from './agent-files.ts'

// How often the node looks for agents added or removed by `roost agent`.
const REFRESH_MS = 1000

export interface Device {
  name: string
  // Hex, as datagrams are looked up; and the bytes an acknowledgement carries.
  id: string
  idBytes: Uint8Array
  key: Uint8Array
  rules: MappingRule[]
  source: 'config' | 'agents'
}

export interface Devices {
  get (id: string): Device | undefined
  names (): string[]
  // Looks at agents/ now, if it changed since the last look.
  refresh (): Promise<void>
  close (): void
}

export interface DeviceOptions {
  dataDir: string
  configured: LanDevice[]
  // Feeds the bridge writes: a device writing one of them must use the same decoder.
  bridgeRules: MappingRule[]
  log: Logger
  // Opens the feeds a device's rules name; a device is known only once they are open.
  openFeeds (names: string[]): Promise<void>
}

export async function openDevices (opts: DeviceOptions): Promise<Devices> {
  const { dataDir, log } = opts
  let known = new Map<string, Device>()
  // One line per file and problem until it is fixed, however often the folder changes.
  let reported = new Set<string>()
  let stamp = ''
  let refreshing: Promise<void> | null = null

  const fixed: Device[] = []
  for (const device of opts.configured) {
    try {
      const key = device.key ?? readKeyFile(path.resolve(dataDir, device.keyFile!))
      fixed.push(toDevice(device, key, 'config'))
    } catch (err) {
      const e = err as NodeError
      log('lan-device-error', { device: device.name, code: e.code, reason: e.message, hint: e.hint })
    }
  }

  async function load (): Promise<void> {
    const next = new Map<string, Device>()
    const names = new Set<string>()
    const decoderOf = new Map<string, string>(opts.bridgeRules.map((r) => [r.feed, r.decoder]))
    const stillReported = new Set<string>()
    const problem = (name: string, what: string, e: NodeError): void => {
      const seen = `${what}|${e.code}|${e.message}`
      stillReported.add(seen)
      if (!reported.has(seen)) log('lan-device-error', { device: name, code: e.code, reason: e.message, hint: e.hint })
    }
    const take = (device: Device): void => {
      next.set(device.id, device)
      names.add(device.name)
      for (const rule of device.rules) if (!decoderOf.has(rule.feed)) decoderOf.set(rule.feed, rule.decoder)
    }
    for (const device of fixed) take(device)
    for (const read of readAgentFiles(dataDir)) {
      const name = path.basename(read.file, '.json')
      if ('error' in read) {
        problem(name, read.file, read.error)
        continue
      }
      const device = toDevice(read.device, read.device.key, 'agents')
      const clash = names.has(device.name)
        ? 'another device has this name'
        : next.has(device.id)
          ? `device ${next.get(device.id)!.name} has this id`
          : device.rules.find((r) => decoderOf.has(r.feed) && decoderOf.get(r.feed) !== r.decoder)
      if (clash !== undefined) {
        const reason = typeof clash === 'string' ? clash : `feed "${clash.feed}" is written with decoder "${decoderOf.get(clash.feed)}" elsewhere; one feed has one decoder`
        problem(device.name, read.file, NodeError.LAN_DEVICE_CONFLICT(read.file, reason))
        continue
      }
      await opts.openFeeds([...new Set(device.rules.map((r) => r.feed))])
      take(device)
    }
    reported = stillReported
    for (const [id, device] of next) if (!known.has(id)) log('lan-device-added', { device: device.name, id, source: device.source })
    for (const [id, device] of known) if (!next.has(id)) log('lan-device-removed', { device: device.name, id })
    known = next
  }

  function refresh (): Promise<void> {
    if (refreshing) return refreshing
    const now = folderStamp(agentsDir(dataDir))
    if (now === stamp) return Promise.resolve()
    stamp = now
    refreshing = load().finally(() => { refreshing = null })
    return refreshing
  }

  await opts.openFeeds([...new Set(fixed.flatMap((d) => d.rules.map((r) => r.feed)))])
  await refresh()
  const timer = setInterval(() => {
    refresh().catch((err: Error) => log('lan-ingest-error', { code: (err as NodeError).code ?? 'AGENTS_UNREADABLE', reason: err.message }))
  }, REFRESH_MS)
  timer.unref?.()

  return {
    get: (id) => known.get(id),
    names: () => [...known.values()].map((d) => d.name),
    refresh,
    close () { clearInterval(timer) }
  }
}

function toDevice (device: LanDevice, keyHex: string, source: Device['source']): Device {
  return { name: device.name, id: device.id, idBytes: b4a.from(device.id, 'hex'), key: b4a.from(keyHex, 'hex'), rules: device.rules, source }
}
