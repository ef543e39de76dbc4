import { BRIDGE_DEFAULTS, type NodeConfigFile } from '../../node/config.ts'

// The node config of a bridge that stores every `meter/#` reading as a number in feed
// "meter": what the durability and burst tests run on Bare.
export function meterBridgeConfig (brokerUrl: string, clientId: string, bootstrap: string[]): Partial<NodeConfigFile> {
  return {
    bootstrap,
    roles: ['bridge'],
    bridge: {
      broker: brokerUrl,
      caFile: null,
      clientId,
      username: null,
      password: null,
      rules: [{ filter: 'meter/#', feed: 'meter', decoder: 'number' }],
      commandTopics: [],
      ...BRIDGE_DEFAULTS
    }
  }
}
