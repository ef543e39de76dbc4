// The Lua agent under the real lua5.3 (tools/harness/lua-agent.ts), stopped when the test
// ends, passed or failed.
import type { ExecutionContext } from 'ava'
import * as harness from '../../tools/harness/lua-agent.ts'

export { agentConfigText, parseEvent, writeAgentConfig, type AgentEvent, type AgentProcess, type AgentSettings } from '../../tools/harness/lua-agent.ts'

export function startAgent (t: ExecutionContext, bundle: string, configFile: string): harness.AgentProcess {
  const agent = harness.startLuaAgent(bundle, configFile)
  t.teardown(() => agent.stop())
  return agent
}
