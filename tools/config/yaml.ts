// Reads a YAML config and checks it against a zod schema, keeping source positions
// so that a problem is reported as `file:line: field: expected X, got Y`.
import fs from 'node:fs'
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, visit } from 'yaml'
import type { Document, ErrorCode, Node as YamlNode } from 'yaml'
import { z } from 'zod'
import { isRecord, valueAt } from '../../node/config/problems.ts'
import { ConfigError } from './errors.ts'

type Path = readonly PropertyKey[]
type LineOf = (offset: number) => number

// Long enough to recognise a value, short enough to keep the message on one line.
const MAX_GOT_CHARS = 40

export interface YamlSchemaOptions {
  // Dotted fields (`bridge.password`) whose values never appear in a message: a
  // problem there says what kind of value was found, not the value.
  secretFields?: readonly string[]
}

// A cross-field check (superRefine) reports through a custom issue with a `path`, and
// gets the line of that path like any other problem. Its `message` is the reason; by
// default `, got VALUE` follows it. `params.got` changes that: a string replaces the
// value shown, false shows none (for a reason that already says what is wrong).
export interface CustomIssueParams {
  hint?: string
  got?: string | false
}

export function parseYamlWithSchema<T> (file: string, text: string, schema: z.ZodType<T>, opts: YamlSchemaOptions = {}): T {
  const source = readYaml(file, text)
  const result = schema.safeParse(source.data)
  if (result.success) return result.data
  throw source.problem(pickIssue(result.error.issues), schema, opts)
}

// A config file's text; a file that is not there is NOT_FOUND, naming it.
export function readConfigFile (file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw ConfigError.NOT_FOUND(file)
    throw err
  }
}

// A parsed YAML file that can place a problem at the line of the key it is about: for
// checks that gather every problem of a file before reporting (a fleet file).
export interface YamlSource {
  file: string
  data: unknown
  // The problem as file:line: field: reason. `schema` is the file's whole schema, for the
  // list of valid fields when a key is unknown; paths are from the file's root.
  problem (issue: z.core.$ZodIssue, schema: z.core.$ZodType, opts?: YamlSchemaOptions): ConfigError
}

export function readYaml (file: string, text: string): YamlSource {
  const lineCounter = new LineCounter()
  const lineOf: LineOf = (offset) => lineCounter.linePos(offset).line
  // prettyErrors would append a source excerpt to the message; we report the line instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })

  const syntaxError = doc.errors[0]
  if (syntaxError !== undefined) {
    const known = SYNTAX_ERRORS[syntaxError.code]
    throw ConfigError.YAML_SYNTAX(file, lineOf(syntaxError.pos[0]),
      known?.reason ?? lowerFirst(syntaxError.message), known?.hint)
  }
  const data = toData(file, doc, lineOf)
  return {
    file,
    data,
    problem: (issue, schema, opts = {}) => issueToError(file, doc, lineOf, data, schema, issue, opts)
  }
}

// Every problem of a file at once, in line order: one is thrown as it is, several as
// one PROBLEMS error listing them all.
export function throwProblems (file: string, problems: ConfigError[]): void {
  const unique = [...new Map(problems.map((p) => [p.message, p])).values()].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  if (unique.length === 1) throw unique[0]
  if (unique.length > 1) throw ConfigError.PROBLEMS(file, unique)
}

// The yaml package's wording for the mistakes people make by hand, with the fix.
// Its message for MULTIPLE_DOCS speaks to programmers, so that one is reworded.
const SYNTAX_ERRORS: Partial<Record<ErrorCode, { reason?: string, hint: string }>> = {
  BLOCK_AS_IMPLICIT_KEY: { hint: 'put a value that contains ": " in quotes' },
  TAB_AS_INDENT: { hint: 'indent with spaces' },
  DUPLICATE_KEY: { hint: 'keep one of the two' },
  MISSING_CHAR: { hint: 'close the quote or bracket' },
  MULTIPLE_DOCS: { reason: 'expected one YAML document, found a second one', hint: 'remove the "---" line' }
}

// zod lists unknown keys after the problems with known fields. A misspelt key
// (`ram_mbb`) shows up both as unknown and as a missing `ram_mb`; the unknown key
// is the line the user actually wrote, so it is the more useful one to report.
function pickIssue (issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0]
}

function toData (file: string, doc: Document, lineOf: LineOf): unknown {
  try {
    return doc.toJS()
  } catch (err) {
    // The parser accepts an alias to an anchor that does not exist; converting it fails.
    let line = 1
    visit(doc, {
      Alias (_key, alias) {
        if (alias.resolve(doc) !== undefined) return undefined
        if (alias.range) line = lineOf(alias.range[0])
        return visit.BREAK
      }
    })
    throw ConfigError.YAML_SYNTAX(file, line, lowerFirst(err instanceof Error ? err.message : String(err)))
  }
}

function issueToError (file: string, doc: Document, lineOf: LineOf, data: unknown,
  schema: z.core.$ZodType, issue: z.core.$ZodIssue, opts: YamlSchemaOptions): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]
    const validFields = fieldsAt(schema, issue.path)
    const reason = validFields === undefined
      ? 'unknown field'
      : `unknown field (valid fields: ${validFields.join(', ')})`
    return ConfigError.INVALID_FIELD(file, lineAt(doc, lineOf, [...issue.path, key]), fieldName([...issue.path, key]), reason)
  }

  const field = fieldName(issue.path)
  const value = valueAt(data, issue.path)
  const hint = hintOf(issue, value)
  if (isMissing(data, issue.path)) {
    // A missing field has no line of its own: point at the mapping it belongs in.
    return ConfigError.INVALID_FIELD(file, lineAt(doc, lineOf, issue.path.slice(0, -1)), field,
      'required field is missing', hint)
  }
  const line = lineAt(doc, lineOf, issue.path)
  const custom = issue.code === 'custom' ? customParams(issue).got : undefined
  if (custom === false) return ConfigError.INVALID_FIELD(file, line, field, expectation(issue), hint)
  const got = custom ?? (issue.path.length === 0 && doc.contents === null
    ? 'an empty file'
    : isSecret(opts, issue.path) ? `${kindOf(value)} (not shown)` : describeValue(value))
  return ConfigError.INVALID_FIELD(file, line, field, `${expectation(issue)}, got ${got}`, hint)
}

function expectation (issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeName(issue.expected)}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map(String).join(', ')}`
    case 'too_small':
    case 'too_big':
      return `expected ${bound(issue)}`
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern !== undefined) return `expected text matching ${issue.pattern}`
      return `expected a valid ${issue.format}`
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`
    default:
      // custom issues (cross-field checks) carry their own wording.
      return issue.message
  }
}

function bound (issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small'
  const limit = small ? issue.minimum : issue.maximum
  const limitNumber = Number(limit)
  switch (issue.origin) {
    case 'string':
      if (small && limitNumber === 1) return 'a non-empty string'
      return `${small ? 'at least' : 'at most'} ${limit} characters`
    case 'array':
    case 'set':
      if (small && limitNumber === 1) return 'at least one item'
      return `${small ? 'at least' : 'at most'} ${limit} items`
    default: {
      const op = small ? (issue.inclusive === true ? '>=' : '>') : (issue.inclusive === true ? '<=' : '<')
      return `a number ${op} ${limit}`
    }
  }
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of fields',
  null: 'null'
}

function typeName (expected: string): string {
  return TYPE_NAMES[expected] ?? expected
}

function hintOf (issue: z.core.$ZodIssue, value: unknown): string | undefined {
  if (issue.code === 'custom') return customParams(issue).hint
  // YAML reads `password: 1234` or `client_id: true` as a number or a boolean.
  if (issue.code === 'invalid_type' && issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return 'put the value in quotes to make it text'
  }
  return undefined
}

function customParams (issue: z.core.$ZodIssueCustom): CustomIssueParams {
  const hint: unknown = issue.params?.hint
  const got: unknown = issue.params?.got
  return {
    hint: typeof hint === 'string' ? hint : undefined,
    got: typeof got === 'string' || got === false ? got : undefined
  }
}

// A secret field's name may have * for a list index: lan_ingest.devices.*.key.
function isSecret (opts: YamlSchemaOptions, path: Path): boolean {
  const segments = path.map(String)
  return opts.secretFields?.some((field) => {
    const pattern = field.split('.')
    return pattern.length === segments.length && pattern.every((p, i) => p === segments[i] || (p === '*' && /^\d+$/.test(segments[i])))
  }) === true
}

// What kind of value is there, for a field whose value is not shown.
function kindOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return TYPE_NAMES.array
  if (typeof value === 'number' && Number.isInteger(value)) return 'a whole number'
  return TYPE_NAMES[typeof value] ?? typeof value
}

function fieldName (path: Path): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.')
}

function describeValue (value: unknown): string {
  const json = JSON.stringify(value) ?? String(value)
  return json.length > MAX_GOT_CHARS ? `${json.slice(0, MAX_GOT_CHARS - 1)}…` : json
}

function isMissing (data: unknown, path: Path): boolean {
  if (path.length === 0) return false
  const parent = valueAt(data, path.slice(0, -1))
  return isRecord(parent) && !Object.hasOwn(parent, String(path[path.length - 1]))
}

// The 1-based line of the deepest node on `path` that exists in the document. A
// field in a mapping is reported at its key, so a list or mapping value that starts
// on the next line is still reported where its name is.
function lineAt (doc: Document, lineOf: LineOf, path: Path): number {
  let node: unknown = doc.contents
  let offset = isNode(node) && node.range ? node.range[0] : 0
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc)
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
      if (pair === undefined) break
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0]
      node = pair.value
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)]
      if (!isNode(item) || !item.range) break
      offset = item.range[0]
      node = item
    } else {
      break
    }
  }
  return lineOf(offset)
}

function isNode (value: unknown): value is YamlNode {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value)
}

// The field names a mapping at `path` accepts, read from the schema, so an unknown
// key can be answered with the list of valid ones.
function fieldsAt (schema: z.core.$ZodType, path: Path): string[] | undefined {
  let current: z.core.$ZodType | undefined = schema
  let depth = 0
  while (current !== undefined) {
    if (current instanceof z.ZodPipe) {
      current = current.in
    } else if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap()
    } else if (depth === path.length) {
      return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined
    } else if (current instanceof z.ZodObject) {
      current = current.shape[String(path[depth++])]
    } else if (current instanceof z.ZodArray) {
      current = current.element
      depth++
    } else {
      return undefined
    }
  }
  return undefined
}

function lowerFirst (text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
