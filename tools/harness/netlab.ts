// A small simulated internet in Linux network namespaces, for the NAT tests and the
// bench: a public segment (documentation addresses: DHT nodes on 198.51.100.0/24, the
// home routers' WAN side on 203.0.113.0/24, or 11.0.0.0/24 for a home whose node can be
// reached unasked: see MAPPING_WAN_NET) and home networks, each one host behind a
// router namespace doing NAT with nftables. Nothing is connected to this machine's own
// interfaces: the namespaces reach only each other.
//
//   PREFIX-pub        bridge br0: 198.51.100.1-9 public DHT nodes, .10-.19 public servers
//     ├── h0 ── PREFIX-NAME-r   wan 203.0.113.10 │ lan 192.168.1.1 ── PREFIX-NAME-h 192.168.1.2
//     └── h1 ── ...             wan 203.0.113.11 │ ...
//
// Every home uses 192.168.1.0/24, as most homes do. Names carry a per-run prefix
// (roostnet-PID-START-N-): a lab is removed by destroy(), by this process's exit or
// SIGINT/SIGTERM, and, when its process was killed outright, by the sweep the next lab
// runs first (a namespace whose creating process is gone). Needs root, iproute2 and
// nftables (scripts/system-deps.sh). A home's router can also run miniupnpd (Debian's
// miniupnpd-nftables: NAT-PMP and UPnP IGD, secure mode), killed with its namespace.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { HarnessError } from './errors.ts'
import { findTool, pathDirs } from './find-tool.ts'

// How a home router maps and filters (RFC 4787 terms).
// - cone: endpoint-independent mapping and filtering ("full cone"): once the host has
//   sent from a port, anyone may send to that port (an nftables set of the ports in use).
// - port-restricted: endpoint-independent mapping, address-and-port-dependent filtering:
//   Linux's plain masquerade with conntrack, what most home routers do.
// - symmetric: endpoint-dependent, randomised mapping (masquerade fully-random): every
//   destination sees another source port, which defeats hole punching on both sides.
// - dmz: the host is the router's one exposed host (1:1 SNAT and DNAT).
// - port-forward: port-restricted plus one UDP port forwarded to the host.
export const NAT_KINDS = ['cone', 'port-restricted', 'symmetric', 'dmz', 'port-forward'] as const
export type NatKind = typeof NAT_KINDS[number]

export interface HomeSpec {
  // Lower-case letters and digits, at most 12: it is part of namespace names.
  name: string
  nat: NatKind
  // The UDP port forwarded to the host (port-forward only; HyperDHT's default 49737).
  forwardPort?: number
  // The router runs miniupnpd, mapping ports for its LAN on request: NAT-PMP and UPnP
  // IGD unless one is turned off here.
  portMapping?: { natPmp?: boolean, upnp?: boolean }
}

export interface Home {
  name: string
  nat: NatKind
  // The router's and the host's namespaces.
  router: string
  host: string
  wanAddress: string
  hostAddress: string
  // The UDP ports miniupnpd maps to the host now ("external → internal"), read from its
  // nftables chain; empty for a router without it.
  portMappings (): string[]
  // Restarts the router's miniupnpd as a rebooted router would come back: its mappings
  // gone, its epoch from zero, announcing itself to the LAN.
  restartPortMapping (): void
}

export interface NetLab {
  prefix: string
  // The namespace of the public segment: public DHT nodes and servers run in it.
  publicNs: string
  // Addresses on the public segment, bound one per process: with several addresses on
  // one interface, a socket bound to all may answer from another one, which a home
  // router's conntrack then drops.
  dhtAddresses: string[]
  serverAddresses: string[]
  homes: Record<string, Home>
  // A command as it runs inside a namespace.
  inNamespace (ns: string, command: string, args: string[]): { command: string, args: string[] }
  // The same, bound to a home's host ('public': the public segment), as launchNode and
  // runRoost take it.
  placeIn (where: string): (command: string, args: string[]) => { command: string, args: string[] }
  // Runs a command inside a namespace and returns its output; throws on failure. ip,
  // nft and sysctl are the system's, whatever PATH says.
  run (ns: string, command: string, args: string[]): string
  // Drops this fraction (0 to 1) of the packets crossing a home router's WAN side, both
  // ways (nftables numgen; this kernel has no netem). 0 removes the loss.
  setLoss (home: string, fraction: number): void
  // Sets the UDP conntrack timeouts of every router (seconds): a mapping idle longer
  // is forgotten, as on a home router with short timeouts.
  setUdpTimeout (seconds: number): void
  destroy (): Promise<void>
}

export const LAB_PREFIX = 'roostnet-'
const HOST_LAN = '192.168.1.2'
// A home whose node can be reached unasked (a DMZ, a port forward, a router running
// miniupnpd) gets its WAN address from 11.0.0.0/24, not a documentation range: miniupnpd
// maps nothing on an address it counts as reserved, and hyperdht (6.34, lib/connect.js)
// skips a server's announced address when it is a bogon, which every documentation range
// is, and then connects to the address a DHT node saw it at: the node's other socket,
// which a port-restricted router does not open. That made a reachable node behind the
// lab's port forward or DMZ unreachable. Like every lab address, 11.0.0.0/24 exists only
// inside these namespaces, which reach nothing else.
const MAPPING_WAN_NET = '11.0.0'
const ROUTER_LAN = '192.168.1.1'
const MAX_HOMES = 40
const NAME_RE = /^[a-z0-9]{1,12}$/

// Why this machine cannot run a lab, or null. Tools that are missing are an error, not
// a reason to skip: scripts/system-deps.sh installs them.
export function whyNoNetLab (): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root'
  return null
}

// The system's tools first: under npm, PATH starts with node_modules/.bin, where a
// package's `nft` (@vercel/nft, a file tracer) would shadow nftables'.
function findSystemTool (name: string, packages: string): string {
  return findTool(name, ['/usr/sbin', '/sbin', '/usr/bin', '/bin', ...pathDirs()], packages)
}

export const MINIUPNPD_PACKAGE = 'miniupnpd-nftables'

type Tools = Record<'ip' | 'nft' | 'sysctl', string>
let tools: Tools | null = null

function systemTool (command: string): string {
  const found = labTools()
  return command === 'ip' || command === 'nft' || command === 'sysctl' ? found[command] : command
}
function labTools (): Tools {
  tools ??= { ip: findSystemTool('ip', 'iproute2'), nft: findSystemTool('nft', 'nftables'), sysctl: findSystemTool('sysctl', 'procps') }
  return tools
}

function exec (command: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  try {
    return String(execFileSync(command, args, { stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8', ...opts }))
  } catch (err) {
    const e = err as Error & { stderr?: string }
    throw HarnessError.CHECK_FAILED(`${path.basename(command)} ${args.join(' ')}: ${String(e.stderr ?? e.message).trim()}`)
  }
}

// This process's identity in namespace names: its pid and start time, so a sweep tells a
// live owner from a later process that got the same pid.
function processTag (pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    return `${pid}-${Number(start).toString(36)}`
  } catch {
    return null
  }
}

function listNamespaces (): string[] {
  try {
    return fs.readdirSync('/run/netns')
  } catch {
    return []
  }
}

// Kills whatever runs inside the namespaces, then deletes them (a namespace outlives its
// name while a process is still in it).
function removeNamespaces (names: string[]): void {
  const { ip } = labTools()
  for (const ns of names) {
    let pids: number[] = []
    try {
      pids = execFileSync(ip, ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean).map(Number)
    } catch {}
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
  }
  for (const ns of names) {
    try {
      execFileSync(ip, ['netns', 'del', ns], { stdio: 'ignore' })
    } catch {}
  }
}

// Removes the namespaces of labs whose process is gone (killed before it could clean
// up); returns their names. Labs of live processes, this one's included, are left alone.
export function sweepStaleLabs (): string[] {
  const stale = listNamespaces().filter((ns) => {
    const match = /^roostnet-(\d+)-([0-9a-z]+)-/.exec(ns)
    if (!match) return false
    return processTag(Number(match[1])) !== `${match[1]}-${match[2]}`
  })
  if (stale.length > 0) removeNamespaces(stale)
  return stale
}

// The namespaces of labs this process created, by lab prefix.
export function labNamespaces (prefix = LAB_PREFIX): string[] {
  return listNamespaces().filter((ns) => ns.startsWith(prefix))
}

// Labs of this process not yet destroyed: removed at exit and on SIGINT/SIGTERM.
const live = new Map<string, () => void>()
let labCount = 0
let swept = false

function removeAllLive (): void {
  for (const remove of [...live.values()]) remove()
}

function onSignal (signal: NodeJS.Signals): void {
  removeAllLive()
  unwatch()
  // Die of the signal as the process would have without this handler.
  process.kill(process.pid, signal)
}
const onSigint = (): void => onSignal('SIGINT')
const onSigterm = (): void => onSignal('SIGTERM')

function watch (): void {
  if (live.size !== 1) return
  process.on('exit', removeAllLive)
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
}

function unwatch (): void {
  process.off('exit', removeAllLive)
  process.off('SIGINT', onSigint)
  process.off('SIGTERM', onSigterm)
}

export function createLab (homes: HomeSpec[]): NetLab {
  const why = whyNoNetLab()
  if (why !== null) throw HarnessError.BAD_OPTION('network lab', why)
  if (homes.length > MAX_HOMES) throw HarnessError.BAD_OPTION('network lab', `at most ${MAX_HOMES} homes, got ${homes.length}`)
  for (const home of homes) {
    if (!NAME_RE.test(home.name)) throw HarnessError.BAD_OPTION('network lab', `home name "${home.name}": expected 1 to 12 lower-case letters or digits`)
    if (!(NAT_KINDS as readonly string[]).includes(home.nat)) throw HarnessError.BAD_OPTION('network lab', `home ${home.name}: unknown NAT "${home.nat}" (known: ${NAT_KINDS.join(', ')})`)
  }
  if (new Set(homes.map((h) => h.name)).size !== homes.length) throw HarnessError.BAD_OPTION('network lab', 'home names must differ')
  const { ip, nft, sysctl } = labTools()
  const miniupnpd = homes.some((h) => h.portMapping !== undefined) ? findSystemTool('miniupnpd', MINIUPNPD_PACKAGE) : null
  if (!swept) {
    swept = true
    sweepStaleLabs()
  }
  const tag = processTag(process.pid)
  const prefix = `${LAB_PREFIX}${tag}-${labCount++}-`
  const publicNs = `${prefix}pub`
  const created: string[] = []
  // miniupnpd's config, lease and pid files; the daemon dies with its namespace.
  let daemonDir: string | null = null
  const remove = (): void => {
    live.delete(prefix)
    if (live.size === 0) unwatch()
    removeNamespaces([...created].reverse())
    created.length = 0
    if (daemonDir !== null) fs.rmSync(daemonDir, { recursive: true, force: true })
    daemonDir = null
  }
  live.set(prefix, remove)
  watch()

  const addNs = (ns: string): void => {
    exec(ip, ['netns', 'add', ns])
    created.push(ns)
    exec(ip, ['-n', ns, 'link', 'set', 'lo', 'up'])
  }
  const inNs = (ns: string, command: string, args: string[]): { command: string, args: string[] } => ({ command: ip, args: ['netns', 'exec', ns, command, ...args] })
  const run = (ns: string, command: string, args: string[], input?: string): string => {
    const c = inNs(ns, command, args)
    return exec(c.command, c.args, input === undefined ? {} : { input })
  }

  const dhtAddresses = [1, 2, 3, 4].map((i) => `198.51.100.${i}`)
  const serverAddresses = Array.from({ length: 10 }, (_, i) => `198.51.100.${10 + i}`)
  const result: Record<string, Home> = {}
  try {
    addNs(publicNs)
    exec(ip, ['-n', publicNs, 'link', 'add', 'br0', 'type', 'bridge'])
    exec(ip, ['-n', publicNs, 'link', 'set', 'br0', 'up'])
    for (const address of [...dhtAddresses, ...serverAddresses]) exec(ip, ['-n', publicNs, 'addr', 'add', `${address}/24`, 'dev', 'br0'])
    // The two documentation ranges share one segment: each side reaches the other on-link.
    exec(ip, ['-n', publicNs, 'route', 'add', '203.0.113.0/24', 'dev', 'br0'])
    exec(ip, ['-n', publicNs, 'route', 'add', `${MAPPING_WAN_NET}.0/24`, 'dev', 'br0'])

    homes.forEach((spec, i) => {
      const router = `${prefix}${spec.name}-r`
      const host = `${prefix}${spec.name}-h`
      const reachable = spec.portMapping !== undefined || spec.nat === 'dmz' || spec.nat === 'port-forward'
      const wanAddress = reachable ? `${MAPPING_WAN_NET}.${10 + i}` : `203.0.113.${10 + i}`
      addNs(router)
      addNs(host)
      exec(ip, ['link', 'add', 'wan', 'netns', router, 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', publicNs])
      exec(ip, ['-n', publicNs, 'link', 'set', `h${i}`, 'master', 'br0'])
      exec(ip, ['-n', publicNs, 'link', 'set', `h${i}`, 'up'])
      exec(ip, ['-n', router, 'addr', 'add', `${wanAddress}/24`, 'dev', 'wan'])
      exec(ip, ['-n', router, 'link', 'set', 'wan', 'up'])
      exec(ip, ['-n', router, 'route', 'add', '198.51.100.0/24', 'dev', 'wan'])
      for (const net of ['203.0.113', MAPPING_WAN_NET]) {
        if (!wanAddress.startsWith(`${net}.`)) exec(ip, ['-n', router, 'route', 'add', `${net}.0/24`, 'dev', 'wan'])
      }
      exec(ip, ['link', 'add', 'lan', 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host])
      exec(ip, ['-n', router, 'addr', 'add', `${ROUTER_LAN}/24`, 'dev', 'lan'])
      exec(ip, ['-n', router, 'link', 'set', 'lan', 'up'])
      exec(ip, ['-n', host, 'addr', 'add', `${HOST_LAN}/24`, 'dev', 'eth0'])
      exec(ip, ['-n', host, 'link', 'set', 'eth0', 'up'])
      exec(ip, ['-n', host, 'route', 'add', 'default', 'via', ROUTER_LAN])
      run(router, sysctl, ['-qw', 'net.ipv4.ip_forward=1'])
      run(router, nft, ['-f', '-'], routerRules(spec, wanAddress))
      // A router without its rules would route the home's private addresses unchanged.
      if (!run(router, nft, ['list', 'table', 'ip', 'roost']).includes('chain forward')) {
        throw HarnessError.CHECK_FAILED(`${nft} loaded no rules into ${router}`)
      }
      const inRouter = (command: string, args: string[], input?: string): string => run(router, command, args, input)
      if (spec.portMapping !== undefined && miniupnpd !== null) {
        daemonDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}miniupnpd-`))
        startMiniupnpd(miniupnpd, spec, daemonDir, inRouter)
      }
      const dir = daemonDir
      const restart = (): void => {
        if (spec.portMapping === undefined || miniupnpd === null || dir === null) throw HarnessError.BAD_OPTION('network lab', `home ${spec.name}'s router runs no miniupnpd`)
        stopMiniupnpd(spec, dir)
        for (const chain of ['prerouting_miniupnpd', 'postrouting_miniupnpd', 'miniupnpd']) inRouter(nft, ['flush', 'chain', 'inet', 'filter', chain])
        fs.rmSync(path.join(dir, `${spec.name}.leases`), { force: true })
        if (mappings().length > 0) throw HarnessError.CHECK_FAILED(`${router} still maps ${mappings().join(', ')} after its miniupnpd was stopped`)
        startMiniupnpd(miniupnpd, spec, dir, inRouter, false)
      }
      const mappings = (): string[] => {
        if (spec.portMapping === undefined) return []
        const chain = run(router, nft, ['list', 'chain', 'inet', 'filter', 'prerouting_miniupnpd'])
        return [...chain.matchAll(/dport (\d+) dnat ip to ([\d.]+:\d+)/g)].map((m) => `${m[1]} → ${m[2]}`)
      }
      result[spec.name] = { name: spec.name, nat: spec.nat, router, host, wanAddress, hostAddress: HOST_LAN, portMappings: mappings, restartPortMapping: restart }
    })
  } catch (err) {
    remove()
    throw err
  }

  return {
    prefix,
    publicNs,
    dhtAddresses,
    serverAddresses,
    homes: result,
    inNamespace: inNs,
    placeIn (where) {
      const ns = where === 'public' ? publicNs : result[where]?.host
      if (ns === undefined) throw HarnessError.BAD_OPTION('network lab', `no home named ${where}`)
      return (command, args) => inNs(ns, command, args)
    },
    run: (ns, command, args) => run(ns, systemTool(command), args),
    setLoss (name, fraction) {
      const home = result[name]
      if (!home) throw HarnessError.BAD_OPTION('network lab', `no home named ${name}`)
      if (!(fraction >= 0 && fraction < 1)) throw HarnessError.BAD_OPTION('network lab', `loss must be from 0 to below 1, got ${fraction}`)
      const tables = run(home.router, nft, ['list', 'tables'])
      if (tables.includes('table ip roostloss')) run(home.router, nft, ['delete', 'table', 'ip', 'roostloss'])
      if (fraction > 0) run(home.router, nft, ['-f', '-'], lossRules(fraction))
    },
    setUdpTimeout (seconds) {
      for (const home of Object.values(result)) {
        run(home.router, sysctl, ['-qw', `net.netfilter.nf_conntrack_udp_timeout=${seconds}`, `net.netfilter.nf_conntrack_udp_timeout_stream=${seconds}`])
      }
    },
    async destroy () { remove() }
  }
}

// A home router: nothing unsolicited comes in from the WAN side but what the NAT kind
// lets in; the home's traffic goes out translated.
export function routerRules (home: HomeSpec, wanAddress: string): string {
  const port = home.forwardPort ?? 49737
  const pre: Record<NatKind, string[]> = {
    cone: [`iifname "wan" udp dport @cone dnat to ${HOST_LAN}`],
    'port-restricted': [],
    symmetric: [],
    dmz: [`iifname "wan" dnat to ${HOST_LAN}`, `iifname "lan" ip daddr ${wanAddress} dnat to ${HOST_LAN}`],
    'port-forward': [`iifname "wan" udp dport ${port} dnat to ${HOST_LAN}:${port}`, `iifname "lan" ip daddr ${wanAddress} udp dport ${port} dnat to ${HOST_LAN}:${port}`]
  }
  // NAT loopback ("reflection", on by default for OpenWrt's port forwards): a LAN host
  // sending to the router's WAN address on a forwarded port reaches the host, from the
  // router's LAN address so that the answer comes back through the router. The node's
  // own machine (roost doctor --storage) reaches it at the public address the DHT gives.
  const reflect = home.nat === 'dmz' || home.nat === 'port-forward'
  const post: Record<NatKind, string> = {
    cone: 'oifname "wan" masquerade',
    'port-restricted': 'oifname "wan" masquerade',
    symmetric: 'oifname "wan" masquerade fully-random',
    dmz: `oifname "wan" snat to ${wanAddress}`,
    'port-forward': 'oifname "wan" masquerade'
  }
  const cone = home.nat === 'cone'
  return [
    'table ip roost {',
    // The ports the host sends from: a full-cone mapping lets anyone reach them for as
    // long as a conntrack entry would live. Masquerade keeps the host's port when it is
    // free, as it is with one host.
    ...(cone ? ['  set cone {', '    type inet_service', '    flags timeout', '    timeout 180s', '  }'] : []),
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...pre[home.nat].map((rule) => `    ${rule}`),
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ${post[home.nat]}`,
    ...(reflect ? [`    iifname "lan" oifname "lan" ct status dnat snat to ${ROUTER_LAN}`] : []),
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    ...(cone ? ['    iifname "lan" oifname "wan" meta l4proto udp update @cone { udp sport }'] : []),
    '    iifname "lan" accept',
    '    ct state established,related accept',
    '    ct status dnat accept',
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname "wan" ct state established,related accept',
    '    iifname "wan" drop',
    '  }',
    '}',
    ''
  ].join('\n')
}

function lossRules (fraction: number): string {
  const perMille = Math.round(fraction * 1000)
  return [
    'table ip roostloss {',
    '  chain inbound {',
    '    type filter hook prerouting priority raw; policy accept;',
    `    iifname "wan" numgen random mod 1000 < ${perMille} drop`,
    '  }',
    '  chain outbound {',
    '    type filter hook postrouting priority 300; policy accept;',
    `    oifname "wan" numgen random mod 1000 < ${perMille} drop`,
    '  }',
    '}',
    ''
  ].join('\n')
}

// miniupnpd 2.3.1's nftables backend adds its rules to chains of `table inet filter`
// that it expects to exist (Debian's nft_init.sh makes them); its own table options are
// not read by this build. Secure mode: a LAN host maps ports to itself only.
function startMiniupnpd (miniupnpd: string, home: HomeSpec, dir: string, run: (command: string, args: string[], input?: string) => string, firstStart = true): void {
  const { nft } = labTools()
  if (firstStart) run(nft, ['-f', '-'], [
    'table inet filter {',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    '    jump miniupnpd',
    '  }',
    '  chain miniupnpd {',
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority -100; policy accept;',
    '    jump prerouting_miniupnpd',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    '    jump postrouting_miniupnpd',
    '  }',
    '  chain prerouting_miniupnpd {',
    '  }',
    '  chain postrouting_miniupnpd {',
    '  }',
    '}',
    ''
  ].join('\n'))
  const conf = path.join(dir, `${home.name}.conf`)
  fs.writeFileSync(conf, [
    'ext_ifname=wan',
    'listening_ip=lan',
    'http_port=5000',
    `enable_natpmp=${home.portMapping?.natPmp === false ? 'no' : 'yes'}`,
    `enable_upnp=${home.portMapping?.upnp === false ? 'no' : 'yes'}`,
    'secure_mode=yes',
    // The epoch counts from the daemon's start, so a restarted daemon looks rebooted.
    'system_uptime=no',
    `lease_file=${path.join(dir, `${home.name}.leases`)}`,
    'uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b',
    `allow 1024-65535 ${HOST_LAN}/32 1024-65535`,
    'deny 0-65535 0.0.0.0/0 0-65535',
    ''
  ].join('\n'))
  // Without -d it forks into the background once its sockets are open and returns; the
  // namespace's removal kills it.
  run(miniupnpd, ['-f', conf, '-P', path.join(dir, `${home.name}.pid`)])
}

// Waits (briefly: it exits at once) for the daemon to be gone after SIGKILL, as a router
// that loses power keeps nothing.
function stopMiniupnpd (home: HomeSpec, dir: string): void {
  const pidFile = path.join(dir, `${home.name}.pid`)
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim())
  try { process.kill(pid, 'SIGKILL') } catch {}
  const until = Date.now() + 5000
  while (Date.now() < until) {
    try {
      if (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) break
    } catch {
      break
    }
    execFileSync('sleep', ['0.05'])
  }
  fs.rmSync(pidFile, { force: true })
}
