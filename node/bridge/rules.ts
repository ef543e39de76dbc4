// Mapping rules: MQTT topic filter → named feed, with the decoder for its payloads.
// Checked as a whole before the bridge starts; tools/ reports the same problems with
// file and line at build time.
import { DECODERS, type Decoder } from './decode.ts'
import { checkTopicFilter, topicMatches } from './topic-filter.ts'

export interface MappingRule {
  filter: string
  feed: string
  decoder: Decoder
}

export interface RuleProblem { index: number, field: 'filter' | 'feed' | 'decoder', reason: string }

const FEED_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

export function checkRules (rules: MappingRule[]): RuleProblem[] {
  const problems: RuleProblem[] = []
  const decoderOfFeed = new Map<string, { decoder: Decoder, index: number }>()
  rules.forEach((rule, index) => {
    const filterProblem = checkTopicFilter(rule.filter)
    if (filterProblem) problems.push({ index, field: 'filter', reason: filterProblem })
    if (!FEED_NAME.test(rule.feed)) {
      problems.push({ index, field: 'feed', reason: `"${rule.feed}" is not a feed name (lower-case letters, digits, - and _, at most 64)` })
    }
    if (!(DECODERS as readonly string[]).includes(rule.decoder)) {
      problems.push({ index, field: 'decoder', reason: `unknown decoder "${rule.decoder}" (known: ${DECODERS.join(', ')})` })
      return
    }
    const earlier = decoderOfFeed.get(rule.feed)
    if (earlier && earlier.decoder !== rule.decoder) {
      problems.push({
        index,
        field: 'decoder',
        reason: `feed "${rule.feed}" is written with decoder "${earlier.decoder}" by rule ${earlier.index + 1}; one feed has one decoder`
      })
    } else if (!earlier) {
      decoderOfFeed.set(rule.feed, { decoder: rule.decoder, index })
    }
  })
  return problems
}

// Every feed a topic goes to, once per feed, in rule order.
export function routeTopic (rules: MappingRule[], topic: string): MappingRule[] {
  const seen = new Set<string>()
  const routes: MappingRule[] = []
  for (const rule of rules) {
    if (seen.has(rule.feed) || !topicMatches(rule.filter, topic)) continue
    seen.add(rule.feed)
    routes.push(rule)
  }
  return routes
}

// The quick-start form `FILTER=FEED:DECODER` of `roost run --map`.
export function parseMapFlag (value: string): MappingRule | string {
  const eq = value.lastIndexOf('=')
  if (eq <= 0) return `"${value}" is not FILTER=FEED:DECODER (example: home/+/temperature=climate:number)`
  const filter = value.slice(0, eq)
  const [feed, decoder = 'json', ...rest] = value.slice(eq + 1).split(':')
  if (rest.length > 0 || !feed) return `"${value}" is not FILTER=FEED:DECODER (example: home/+/temperature=climate:number)`
  const rule = { filter, feed, decoder: decoder as Decoder }
  const problems = checkRules([rule])
  return problems.length > 0 ? `--map ${value}: ${problems[0].field}: ${problems[0].reason}` : rule
}
