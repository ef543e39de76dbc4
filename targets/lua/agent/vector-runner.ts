// Test-only entry of a Lua bundle (test/e2e/lua-crypto.test.ts): one case per line on
// stdin, one result per line on stdout, in order. The agent's package is built from
// main.ts and never contains this.
import { urandomBytes } from './random.ts'
import { runCase } from './vector-cases.ts'

const runtime = { randomBytes: urandomBytes, clock: () => os.clock() }
for (let line = io.read('l'); line !== undefined; line = io.read('l')) {
  io.write(runCase(line, runtime), '\n')
}
