// The rules of relays: the relays a node goes through (`relays`), and the relay role's
// limits and extra keys (`relay`). Each returns every problem it finds (problems.ts).
import { isPublicKey } from '../identity/keys.ts'
import { CONFIG_JSON_WORDS, rangeProblems, type FieldWords, type Problem, type Range } from './problems.ts'
import type { RelaySettings } from './types.ts'

const KEY_REASON = 'expected a relay key (52 z-base-32 or 64 hex characters, as the relay node logs it as relayKey)'

// A rate below 1 KiB/s would cut a connection for its keep-alives alone.
export const RELAY_LIMITS: Readonly<Record<'sessionsPerPeer' | 'bytesPerSecondPerPeer', Range>> = {
  sessionsPerPeer: { min: 1, max: 10_000 },
  bytesPerSecondPerPeer: { min: 1024 }
}

export function relaysProblems (relays: readonly string[]): Problem[] {
  const problems: Problem[] = []
  relays.forEach((key, i) => {
    if (!isPublicKey(key)) problems.push({ path: ['relays', i], reason: KEY_REASON, showsValue: true })
    else if (relays.indexOf(key) !== i) problems.push({ path: ['relays', i], reason: 'expected each relay once', showsValue: true })
  })
  return problems
}

export function relaySettingsProblems (settings: RelaySettings, words: FieldWords = CONFIG_JSON_WORDS): Problem[] {
  return [
    ...rangeProblems('relay', settings, RELAY_LIMITS, words),
    ...settings.keys.flatMap((key, i): Problem[] => isPublicKey(key)
      ? []
      : [{ path: ['relay', 'keys', i], reason: 'expected a public key (52 z-base-32 or 64 hex characters)', showsValue: true }])
  ]
}
