// The sensor bridge's rules: the broker URL, the CA and password files, the MQTT
// version, the mapping rules, the command topics and the batching limits.
import { checkRules } from '../bridge/rules.ts'
import { checkTopicFilter } from '../bridge/topic-filter.ts'
import { CONFIG_JSON_WORDS, rangeProblems, type FieldPath, type FieldWords, type Problem, type Range } from './problems.ts'
import { MQTT_VERSIONS, type BridgeSettings } from './types.ts'

const BROKER_EXAMPLE = 'mqtt://127.0.0.1:1883'

// protocolVersion as it was written, whatever it is: the rule names the two allowed.
export type BridgeFields = Omit<BridgeSettings, 'protocolVersion'> & { protocolVersion: unknown }

export const BRIDGE_LIMITS: Readonly<Record<'maxPayloadBytes' | 'flushMs' | 'maxBatch', Range>> = {
  maxPayloadBytes: { min: 1 },
  flushMs: { min: 0 },
  maxBatch: { min: 1 }
}

export function bridgeProblems (bridge: BridgeFields, words: FieldWords = CONFIG_JSON_WORDS): Problem[] {
  const at = (field: keyof BridgeSettings): FieldPath => ['bridge', field]
  const key = (field: keyof BridgeSettings): string => words.key(at(field))
  const problems: Problem[] = []
  const broker = brokerProblem(bridge.broker)
  if (broker !== null) problems.push({ path: at('broker'), ...broker })
  if (bridge.caFile !== null) {
    if (!bridge.broker.startsWith('mqtts://')) {
      problems.push({ path: at('caFile'), reason: 'a CA file is used only with an mqtts:// broker', hint: `write the broker as mqtts://HOST:PORT, or remove ${key('caFile')}` })
    } else if (!bridge.caFile.startsWith('/')) {
      problems.push({ path: at('caFile'), reason: 'expected an absolute path on the board, like /etc/roost/broker-ca.pem' })
    }
  }
  if (bridge.password !== null && bridge.username === null) {
    problems.push({ path: at('password'), reason: 'a password needs a username (MQTT sends a password only with one)', hint: `add ${key('username')}: next to the password` })
  }
  if (bridge.passwordFile !== null) {
    if (bridge.password !== null) {
      problems.push({
        path: at('passwordFile'),
        reason: `expected either ${key('password')} or ${key('passwordFile')}, not both`,
        hint: `keep ${key('passwordFile')} and remove ${key('password')}, so the secret stays out of config.json`
      })
    } else if (bridge.username === null) {
      problems.push({ path: at('passwordFile'), reason: 'a password file needs a username (MQTT sends a password only with one)', hint: `add ${key('username')}: next to ${key('passwordFile')}` })
    } else if (!bridge.passwordFile.startsWith('/')) {
      problems.push({ path: at('passwordFile'), reason: 'expected an absolute path on the board, like /etc/roost/broker-password' })
    }
  }
  if (!(MQTT_VERSIONS as readonly unknown[]).includes(bridge.protocolVersion)) {
    problems.push({ path: at('protocolVersion'), reason: 'expected 4 (MQTT 3.1.1) or 5 (MQTT 5)', hint: `write ${key('protocolVersion')}: 5 for MQTT 5; leave it out for MQTT 3.1.1`, showsValue: true })
  }
  for (const problem of checkRules(bridge.rules)) {
    problems.push({ path: ['bridge', 'rules', problem.index, problem.field], reason: problem.reason })
  }
  bridge.commandTopics.forEach((topic, i) => {
    const reason = checkTopicFilter(topic)
    if (reason !== null) problems.push({ path: ['bridge', 'commandTopics', i], reason })
  })
  return [...problems, ...rangeProblems('bridge', bridge, BRIDGE_LIMITS, words)]
}

// The artifact's MQTT client speaks mqtt:// over TCP and mqtts:// over TLS (bare-tls on
// Bare), which verifies the broker's certificate against caFile or the default roots.
// The scheme is matched in lower case only, as the CA file rule compares it.
// The URL is not echoed: it may carry a user name and password.
function brokerProblem (broker: string): Omit<Problem, 'path'> | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(broker)?.[1]
  if (scheme !== 'mqtt' && scheme !== 'mqtts') {
    const got = scheme === undefined ? 'no scheme' : `${scheme}://`
    const problem = { reason: `expected an mqtt:// URL like ${BROKER_EXAMPLE}, got ${got}` }
    if (scheme === undefined) return { ...problem, hint: 'write it as mqtt://HOST:PORT' }
    if (/^mqtts?$/i.test(scheme)) return { ...problem, hint: 'write the scheme in lower case: mqtt:// or mqtts://' }
    return problem
  }
  let url: URL
  try {
    url = new URL(broker)
  } catch {
    return { reason: `expected an mqtt:// URL like ${BROKER_EXAMPLE}, got one that does not parse` }
  }
  // URL forgives a tab or newline after the scheme (it drops them); the broker's host
  // must follow the scheme as written.
  if (url.hostname === '' || !/^mqtts?:\/\/[^\s/]+/.test(broker)) {
    return { reason: `expected an mqtt:// URL with a host, like ${BROKER_EXAMPLE}` }
  }
  return null
}
