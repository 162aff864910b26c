// `lockstep market …`: AI-settled information markets (docs/markets.md#cli) for scripts and Node
// agents, on src/markets/chain.ts. Each subcommand checks what the contract would refuse before it sends
// anything (fields, phase, balance, a quote past its bound, a settlement that holds), so a refusal
// costs no gas and is named; what the contract still refuses is named by its custom error.
import { UsageError } from '../errors/cli.ts'
import { createCommand } from './marketCreate.ts'
import { gameCommand } from './marketGame.ts'
import { finalizeCommand, liquidateCommand, redeemCommand, withdrawCommand } from './marketPayout.ts'
import { challengeCommand, settleCommand } from './marketSettle.ts'
import { listCommand, showCommand } from './marketShow.ts'
import { buyCommand, sellCommand } from './marketTrade.ts'

type Sub = (args: string[], market: string | undefined) => Promise<number>

const SUBCOMMANDS: Record<string, Sub> = {
  create: (args) => createCommand(args),
  buy: buyCommand,
  sell: sellCommand,
  settle: settleCommand,
  challenge: challengeCommand,
  game: gameCommand,
  redeem: redeemCommand,
  withdraw: withdrawCommand,
  finalize: finalizeCommand,
  liquidate: liquidateCommand,
  show: showCommand,
  list: (args) => listCommand(args),
}

/** `words`: the positional arguments, the subcommand first and then the market's address. */
export function marketCommand(args: string[], words: string[]): Promise<number> {
  const [what, market] = words
  const run = what === undefined ? undefined : SUBCOMMANDS[what]
  if (!run) throw new UsageError(`market ${what ?? ''}: ${Object.keys(SUBCOMMANDS).join(', ')}`)
  return run(args, market)
}
