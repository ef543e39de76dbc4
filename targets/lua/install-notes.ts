// INSTALL.md of a Lua agent artifact: the package with opkg, or the files by hand.
import { AGENT_BIN, AGENT_INIT, AGENT_UCI, type AgentBoard, agentQueueDir } from './procd.ts'
import { AGENT_DEPENDS } from './ipk.ts'

const fence = (...lines: string[]): string[] => ['```', ...lines, '```', '']

export function agentInstallNotes (board: AgentBoard, packageFile: string): string {
  return [
    `# roost Lua agent for ${board.name} (${board.id}, ${board.host}, ${board.openwrtArch})`, '',
    'The agent sends this router\'s readings (its MQTT broker, files, commands) to a roost',
    'node on the LAN whose lan-ingest role stores them in the household\'s encrypted feeds.',
    'It runs on Lua 5.3 with LuaSocket, from the OpenWrt packages feed.', '',
    '## With the package', '',
    ...fence(
      `scp ${packageFile} root@ROUTER:/tmp/`,
      `opkg update && opkg install ${AGENT_DEPENDS.join(' ')}`,
      `opkg install /tmp/${packageFile}`),
    `Then, on the node's machine, \`roost agent add NAME\` prints this router's node, id and`,
    `key: put them in ${AGENT_UCI}, set \`option enabled '1'\`, and`, '',
    ...fence(`${AGENT_INIT} restart`, 'logread -e roost-agent -f'),
    '## By hand', '',
    ...fence(
      `opkg update && opkg install ${AGENT_DEPENDS.join(' ')}`,
      `install -m 755 roost-agent.lua ${AGENT_BIN}`,
      `install -m 600 roost-agent.uci ${AGENT_UCI}`,
      `install -m 755 roost-agent.init ${AGENT_INIT}`,
      `${AGENT_INIT} enable && ${AGENT_INIT} start`),
    `\`${AGENT_BIN} --check FILE\` checks a config and names every problem by line, and sends nothing.`, '',
    `The queue (${agentQueueDir(board)}) holds the readings not yet acknowledged and the next`,
    'sequence number: list it in /etc/sysupgrade.conf (the package does) so that a',
    'sysupgrade keeps it.', ''
  ].join('\n')
}
