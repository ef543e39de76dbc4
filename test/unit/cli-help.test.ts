import test from 'ava'
import { formatHelp } from '../../tools/cli/args.ts'
import { COMMANDS, overview } from '../../tools/cli/main.ts'

test('each command\'s summary is one whole sentence, shown whole by roost --help', (t) => {
  const lines = overview().split('\n')
  t.true(COMMANDS.length >= 17)
  for (const { spec } of COMMANDS) {
    t.false(spec.summary.includes('\n'), `${spec.name}: the summary spans lines`)
    t.regex(spec.summary, /[.)]$/, `${spec.name}: the summary is not a whole sentence`)
    t.true(lines.some((line) => line.startsWith(`  ${spec.name} `) && line.endsWith(spec.summary)), `${spec.name}: not whole in the overview`)
  }
})

test('roost COMMAND --help shows the summary, the details and every flag', (t) => {
  for (const { spec } of COMMANDS) {
    const help = formatHelp(spec)
    t.true(help.startsWith(`usage: ${spec.usage}\n\n${spec.summary}\n`), spec.name)
    if (spec.details !== undefined) t.true(help.includes(spec.details), spec.name)
    for (const name of Object.keys(spec.flags)) t.true(help.includes(`  --${name}`), `${spec.name} --${name}`)
  }
})
