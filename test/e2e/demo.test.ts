// `npm run demo` is the README's main command: it must keep working, with Mosquitto and
// with the embedded broker a machine without Mosquitto gets.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { REPO_ROOT } from '../../targets/bundle.ts'

function demo (env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin', 'roost.js'), 'demo'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

for (const broker of ['mosquitto', 'aedes']) {
  test.serial(`the demo runs end to end with ${broker} and leaves nothing behind`, async (t) => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('roost-demo-'))
    const result = await demo(broker === 'aedes' ? { ROOST_DEMO_BROKER: 'aedes' } : {})
    t.is(result.code, 0, result.stderr)
    t.regex(result.stdout, broker === 'aedes' ? /embedded aedes broker/ : /and Mosquitto at mqtt:\/\/127\.0\.0\.1:\d+/)
    t.regex(result.stdout, /second node reached the home node by its public key alone/)
    t.regex(result.stdout, /^ {3}climate: 6 readings: /m)
    t.regex(result.stdout, /^ {3}doors: 2 readings: home\/front\/door "open" \| home\/front\/door "closed"$/m)
    t.regex(result.stdout, /^ {3}node holds 6\/6 blocks$/m)
    t.regex(result.stdout, /^ {3}restored 2 files, 200057 bytes; notes\.txt matches the laptop's$/m)
    t.regex(result.stdout, /storage folder holds none of the plaintext/)
    t.regex(result.stdout, /refused: NOT_TRUSTED: /)
    t.regex(result.stdout, /both nodes stopped cleanly on SIGTERM; demo done\n$/)
    t.deepEqual(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('roost-demo-')), before)
  })
}
