// What a config rule returns: every problem it finds, each at a config.json field
// path (camelCase), with the reason and, where there is one, the fix. The rules are
// pure functions written once; the node throws the first problem (check.ts), `roost
// build` reports it at the YAML key and line the user wrote (tools/config/).
export type FieldPath = ReadonlyArray<string | number>

export interface Problem {
  path: FieldPath
  reason: string
  hint?: string
  // The reader is shown the value found after the reason (", got 3"). Left out when the
  // reason already says what is wrong, or when the value may hold a secret (a broker
  // URL can carry a password).
  showsValue?: true
}

// How a reader of the config names a field and writes an amount. A reason or hint that
// names a field asks for it here, so the node's log says `passwordFile` and bytes, as
// config.json does, and `roost build` says `password_file` and MiB, as the YAML does.
export interface FieldWords {
  key: (path: FieldPath) => string
  amount: (path: FieldPath, value: number) => string
}

const MIB = 1024 * 1024

export const CONFIG_JSON_WORDS: FieldWords = {
  key: (path) => String(path[path.length - 1]),
  amount: (path, value) => String(path[path.length - 1]).endsWith('Bytes') && value >= MIB && value % MIB === 0
    ? `${value} (${value / MIB} MiB)`
    : String(value)
}

export interface Range { min: number, max?: number }

// Numbers of one section within their ranges; that they are whole numbers is the
// type, checked before the rules run (zod on the host, check.ts on the node).
export function rangeProblems<F extends string> (section: string, values: Readonly<Record<F, number>>,
  ranges: Readonly<Record<F, Range>>, words: FieldWords): Problem[] {
  const problems: Problem[] = []
  for (const field of Object.keys(ranges) as F[]) {
    const path = [section, field]
    const { min, max } = ranges[field]
    if (values[field] < min) {
      problems.push({ path, reason: `expected at least ${words.amount(path, min)}`, showsValue: true })
    } else if (max !== undefined && values[field] > max) {
      problems.push({ path, reason: `expected at most ${words.amount(path, max)}`, showsValue: true })
    }
  }
  return problems
}

// The value at `path` in parsed JSON or YAML data; undefined where the path leads nowhere.
export function valueAt (data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data
  for (const segment of path) {
    if (Array.isArray(current)) current = current[Number(segment)]
    else if (isRecord(current)) current = current[String(segment)]
    else return undefined
  }
  return current
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
