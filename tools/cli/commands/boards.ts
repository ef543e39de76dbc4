import type { CommandSpec } from '../args.ts'
import { formatBoardTable, loadBoards } from '../../config/boards.ts'

export const spec: CommandSpec = {
  name: 'boards',
  summary: 'List the boards roost builds for, from board-configs/.',
  usage: 'roost boards',
  flags: {}
}

export async function run (): Promise<number> {
  process.stdout.write(formatBoardTable(loadBoards()) + '\n')
  return 0
}
