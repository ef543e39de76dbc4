// The build's own ELF stripper on a shared object compiled here with debug information:
// what it removes, that every loaded byte stays, and that the result still loads.
import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { stripElf } from '../../targets/elf-strip.ts'
import { BuildError } from '../../targets/errors.ts'
import { changedSegments, infoIsSection, PT_LOAD, sectionHeaders, segments, SHF_ALLOC, type SectionHeader } from '../helpers/elf.ts'
import { runTool } from '../helpers/system-tool.ts'
import { tmpDir } from '../helpers/tmp.ts'

// getenv goes through the PLT, so the object has .rela.plt, whose sh_info names a section.
const LIBRARY = `
#include <stdlib.h>
static const char greeting[] = "hello from roost";
int roost_answer (int x) { return x * 6 + (getenv("ROOST_NEVER_SET") != NULL); }
const char *roost_greeting (void) { return greeting; }
`

// dlopen and dlsym, as Bare loads an addon (bare src/addon.c) and Node.js a .node file.
const LOADER = `
#include <dlfcn.h>
#include <stdio.h>
int main (int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
  int (*answer) (int) = (int (*) (int)) dlsym(lib, "roost_answer");
  const char *(*greeting) (void) = (const char *(*) (void)) dlsym(lib, "roost_greeting");
  if (!answer || !greeting) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
  printf("%d %s\\n", answer(7), greeting());
  return 0;
}
`

interface Compiled { dir: string, library: string, loader: string, object: string }

// cc -shared -g, then a .gnu_debuglink to a separate debug file as distributions ship
// them; compiled once for the file's tests.
let compiled: Compiled | null = null
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-elf-strip-'))
test.after.always(() => fs.rmSync(buildDir, { recursive: true, force: true }))

function compile (t: ExecutionContext): Compiled {
  if (compiled) return compiled
  const at = (name: string): string => path.join(buildDir, name)
  fs.writeFileSync(at('lib.c'), LIBRARY)
  fs.writeFileSync(at('loader.c'), LOADER)
  const steps: Array<[string, string[]]> = [
    ['cc', ['-shared', '-fPIC', '-g', '-O1', '-o', at('lib.so'), at('lib.c')]],
    ['cc', ['-c', '-fPIC', '-g', '-o', at('lib.o'), at('lib.c')]],
    ['cc', ['-o', at('loader'), at('loader.c'), '-ldl']],
    ['objcopy', ['--only-keep-debug', at('lib.so'), at('lib.debug')]],
    ['objcopy', [`--add-gnu-debuglink=${at('lib.debug')}`, at('lib.so')]]
  ]
  for (const [command, args] of steps) {
    const result = runTool(t, command, args)
    if (result.code !== 0) t.fail(`${command} ${args.join(' ')}: ${result.stderr}`)
  }
  compiled = { dir: buildDir, library: at('lib.so'), loader: at('loader'), object: at('lib.o') }
  return compiled
}

function stripped (t: ExecutionContext, input: Buffer): string {
  const file = path.join(tmpDir(t), 'stripped.so')
  fs.writeFileSync(file, stripElf(input, 'lib.so').bytes)
  return file
}

function sectionNames (t: ExecutionContext, file: string): string[] {
  const result = runTool(t, 'readelf', ['-S', '-W', file])
  t.is(result.stderr, '', result.stderr)
  return [...result.stdout.matchAll(/^\s*\[\s*\d+\]\s+(\S+)/gm)].map((m) => m[1]).filter((name) => name !== 'NULL')
}

test('a stripped shared object keeps its loaded sections and loses debug information, symbols, comments and the debug link', (t) => {
  const { library } = compile(t)
  const before = sectionNames(t, library)
  for (const name of ['.debug_info', '.debug_line', '.symtab', '.strtab', '.comment', '.gnu_debuglink']) t.true(before.includes(name), `the compiled object has no ${name}: ${before.join(' ')}`)
  const after = sectionNames(t, stripped(t, fs.readFileSync(library)))
  t.deepEqual(after.filter((name) => /^\.(debug_|symtab$|strtab$|comment$|gnu_debuglink$)/.test(name)), [])
  for (const name of ['.dynsym', '.dynstr', '.gnu.hash', '.text', '.rodata', '.dynamic', '.shstrtab']) t.true(after.includes(name), `${name} is gone: ${after.join(' ')}`)
})

test('every segment of a stripped shared object is byte for byte the original', (t) => {
  const { library } = compile(t)
  const input = fs.readFileSync(library)
  const output = fs.readFileSync(stripped(t, input))
  t.true(output.length < input.length)
  t.true(segments(input).filter((s) => s.type === PT_LOAD).length >= 2, 'fewer than two PT_LOAD segments')
  t.deepEqual(changedSegments(input, output), [])
})

test('a stripped shared object still loads with dlopen and its exported functions answer', (t) => {
  const { library, loader } = compile(t)
  const original = runTool(t, loader, [library])
  t.is(original.stdout, '42 hello from roost\n', original.stderr)
  const result = runTool(t, loader, [stripped(t, fs.readFileSync(library))])
  t.is(result.code, 0, result.stderr)
  t.is(result.stdout, '42 hello from roost\n')
})

test('readelf reads a stripped object without a warning, and it is no bigger than binutils strip makes it', (t) => {
  const { library } = compile(t)
  const ours = stripped(t, fs.readFileSync(library))
  const all = runTool(t, 'readelf', ['-a', '-W', ours])
  t.is(all.code, 0)
  t.is(all.stderr, '')
  const reference = path.join(tmpDir(t), 'reference.so')
  fs.copyFileSync(library, reference)
  t.is(runTool(t, 'strip', ['--strip-all', reference]).code, 0)
  t.true(fs.statSync(ours).size <= fs.statSync(reference).size, `${fs.statSync(ours).size} bytes, binutils strip: ${fs.statSync(reference).size}`)
})

// Linkers put unloaded sections last, so stripping them leaves every index as it was.
// Swapping .comment into slot 1 (and every link to either slot) makes a valid file in
// which dropping it renumbers each loaded section after it.
function withCommentFirst (input: Buffer): Buffer {
  const bytes = Buffer.from(input)
  const headers = sectionHeaders(bytes)
  const comment = headers.findIndex((s) => s.name === '.comment')
  const shoff = Number(bytes.readBigUInt64LE(0x28))
  const swap = (i: number): number => i === 1 ? comment : i === comment ? 1 : i
  const first = Buffer.from(bytes.subarray(shoff + 64, shoff + 128))
  bytes.copy(bytes, shoff + 64, shoff + comment * 64, shoff + (comment + 1) * 64)
  first.copy(bytes, shoff + comment * 64)
  headers.forEach((_, i) => {
    const at = shoff + swap(i) * 64
    bytes.writeUInt32LE(swap(bytes.readUInt32LE(at + 40)), at + 40)
    if (infoIsSection(headers[i])) bytes.writeUInt32LE(swap(bytes.readUInt32LE(at + 44)), at + 44)
  })
  bytes.writeUInt16LE(swap(bytes.readUInt16LE(0x3e)), 0x3e)
  return bytes
}

test('each loaded section still links to the same sections when dropped ones came before it', (t) => {
  const { library, loader } = compile(t)
  const input = withCommentFirst(fs.readFileSync(library))
  const before = sectionHeaders(input)
  t.is(before[1].name, '.comment')
  const targets = (headers: SectionHeader[]): Record<string, string[]> => Object.fromEntries(headers.filter((s) => (s.flags & SHF_ALLOC) !== 0n)
    .map((s) => [s.name, [headers[s.link].name, infoIsSection(s) ? headers[s.info].name : String(s.info)]]))
  t.true(before.some((s) => (s.flags & SHF_ALLOC) !== 0n && s.link > 1), 'no loaded section links past slot 1')
  t.true(before.some((s) => (s.flags & SHF_ALLOC) !== 0n && infoIsSection(s) && s.info > 1), 'no loaded section names one past slot 1 in sh_info')
  const file = stripped(t, input)
  t.deepEqual(targets(sectionHeaders(fs.readFileSync(file))), targets(before))
  t.deepEqual(sectionNames(t, file).filter((name) => name === '.comment'), [])
  t.is(runTool(t, loader, [file]).stdout, '42 hello from roost\n')
})

test('stripping is deterministic, and a stripped object strips to the same bytes', (t) => {
  const input = fs.readFileSync(compile(t).library)
  const once = stripElf(input, 'lib.so').bytes
  t.true(stripElf(input, 'lib.so').bytes.equals(once))
  t.true(stripElf(once, 'lib.so').bytes.equals(once))
  t.deepEqual(stripElf(once, 'lib.so').removed, ['.shstrtab'])
})

test('an ELF file of another class, byte order, machine or type is refused with ELF_NOT_STRIPPABLE naming the file', (t) => {
  const { library, object } = compile(t)
  const input = fs.readFileSync(library)
  const changed = (at: number, value: number, size: 1 | 2): Buffer => {
    const copy = Buffer.from(input)
    if (size === 1) copy[at] = value
    else copy.writeUInt16LE(value, at)
    return copy
  }
  const cases: Array<[Buffer, string]> = [
    [changed(4, 1, 1), 'ELF class 1 (only 2, 64-bit)'],
    [changed(5, 2, 1), 'byte order 2 (only 1, little-endian)'],
    [changed(0x12, 40, 2), 'machine 40 (only x86-64 and aarch64)'],
    [fs.readFileSync(object), 'ELF type 1 (only executables and shared objects)'],
    [Buffer.from('#!/bin/sh\necho not a binary\n'.repeat(4)), 'not an ELF file']
  ]
  for (const [bytes, what] of cases) {
    const err = t.throws(() => stripElf(bytes, 'node_modules/x/prebuilds/linux-x64/x.bare'), { instanceOf: BuildError })
    t.is(err?.code, 'ELF_NOT_STRIPPABLE')
    t.is(err?.message, `node_modules/x/prebuilds/linux-x64/x.bare cannot be stripped: ${what}; roost strips ELF64 little-endian x86-64 and aarch64 executables and shared objects`)
  }
})

test('a truncated ELF file is refused with ELF_DAMAGED', (t) => {
  const input = fs.readFileSync(compile(t).library)
  const err = t.throws(() => stripElf(input.subarray(0, input.length - 100), 'bin/bare'), { instanceOf: BuildError })
  t.is(err?.code, 'ELF_DAMAGED')
  t.regex(err?.message ?? '', /^bin\/bare is not a whole ELF file: .+ past the end of the file \(\d+ bytes\)$/)
})
