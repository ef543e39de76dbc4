// The Lua agent's OpenWrt package: the agent as /usr/bin/roost-agent, its procd script and
// its UCI file (mode 0600, a conffile opkg keeps on upgrade), depending on the feed's
// lua5.3 and luasocket5.3. The Lua file runs on every CPU; the package still names the
// board's architecture, as opkg feeds and roost's other packages do.
import { ipkBytes, opkgVersion, packageFileName } from '../ipk-container.ts'
import { fillScript } from '../template.ts'
import { AGENT_BIN, AGENT_INIT, AGENT_UCI, type AgentBoard, agentQueueDir } from './procd.ts'

export const AGENT_PACKAGE = 'roost-agent'
export const AGENT_DEPENDS = ['lua5.3', 'luasocket5.3']

export interface AgentFiles {
  lua: Buffer
  init: Buffer
  uci: Buffer
}

export function agentPackageFileName (version: string, openwrtArch: string): string {
  return packageFileName(AGENT_PACKAGE, version, openwrtArch)
}

export function agentIpk (board: AgentBoard, version: string, files: AgentFiles): { ipk: Buffer, control: Record<string, string> } {
  return ipkBytes({
    control: {
      Package: AGENT_PACKAGE,
      Version: opkgVersion(version),
      Depends: AGENT_DEPENDS.join(', '),
      Source: 'roost',
      License: 'Apache-2.0',
      Section: 'net',
      Architecture: board.openwrtArch,
      Maintainer: 'roost developers',
      Description: `roost Lua agent for ${board.name}: sends the router's readings to a roost node on the LAN`
    },
    conffiles: [AGENT_UCI],
    postinst: fillScript('agent-postinst', { QUEUE_DIR: agentQueueDir(board), UCI_FILE: AGENT_UCI, INIT_FILE: AGENT_INIT }),
    prerm: fillScript('agent-prerm', { INIT_FILE: AGENT_INIT }),
    data: [
      { path: `.${AGENT_UCI}`, mode: 0o600, data: files.uci },
      { path: `.${AGENT_INIT}`, mode: 0o755, data: files.init },
      { path: `.${AGENT_BIN}`, mode: 0o755, data: files.lua }
    ]
  })
}
