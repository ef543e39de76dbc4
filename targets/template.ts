// Shell scripts kept as real .sh files in targets/scripts/ (so `sh -n` and shellcheck
// read them as they are), with @NAME@ placeholders the build fills with quoted values.
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './bundle.ts'
import { BuildError } from './errors.ts'

export const SCRIPTS_DIR = path.join(REPO_ROOT, 'targets', 'scripts')

// A value becomes one single-quoted shell word, whatever it holds.
export function shellQuote (value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}

export function fillScript (name: string, values: Record<string, string>): string {
  const template = fs.readFileSync(path.join(SCRIPTS_DIR, name), 'utf8')
  const placeholders = new Set([...template.matchAll(/@([A-Z][A-Z0-9_]*)@/g)].map((m) => m[1]))
  const given = Object.keys(values)
  const missing = [...placeholders].filter((key) => !given.includes(key))
  const unused = given.filter((key) => !placeholders.has(key))
  if (missing.length > 0 || unused.length > 0) throw BuildError.SCRIPT_PLACEHOLDERS(name, missing, unused)
  return template.replace(/@([A-Z][A-Z0-9_]*)@/g, (_, key: string) => shellQuote(values[key]))
}
