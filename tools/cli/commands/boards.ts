import { formatBoardTable, loadBoards } from '../../config/boards.ts'
import { defineCommand } from '../args.ts'

export const boards = defineCommand({
  name: 'boards',
  summary: 'List the boards roost builds for, from board-configs/.',
  usage: 'roost boards',
  flags: {}
}, async () => {
  process.stdout.write(formatBoardTable(loadBoards()) + '\n')
  return 0
})
