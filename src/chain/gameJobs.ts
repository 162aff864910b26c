// Dispute-game writes from the page's wallet as anchor-queue jobs (src/chain/queue.ts): claiming a timeout
// when the other party let its deadline pass, and withdrawing what the game owes the wallet. Exactly once
// where the chain can tell: a timeout is there when the game has ended (whoever ended it), a withdrawal when
// its Withdrawn event is. A timeout the other party made moot by moving in time, or a withdrawal with nothing
// owed, ends `missed` without a send (ChainMovedOnError). The moves themselves need the party's trace and
// are played from the CLI (docs/disputes.md).
import type { Address, Hex } from 'viem'
import { disputeGameAbi } from './contracts/DisputeGame.ts'
import { walletClient } from './client.ts'
import type { ChainConfig } from './config.ts'
import type { AnchorJob } from './store.ts'
import type { Writer } from './writer.ts'
import { walletError } from './wallet.ts'
import { at, eventLanded, jsonSafe, type MarketJobCall } from './marketJobs.ts'
import { hashJson } from '../receipts/training.ts'
import { ChainMovedOnError } from '../errors/chain.ts'
import { Phase } from '../disputes/game.ts'

export const GAME_TIMEOUT = 'lockstep/game-timeout'
export const GAME_WITHDRAW = 'lockstep/game-withdraw'

export type GameWrite =
  | { kind: typeof GAME_TIMEOUT; from: Address; game: Address; id: bigint }
  | { kind: typeof GAME_WITHDRAW; from: Address; game: Address }

/** A write as the page asks for it: the wallet fills in `from`. */
export type GameWriteInput =
  { kind: typeof GAME_TIMEOUT; game: Address; id: bigint } | { kind: typeof GAME_WITHDRAW; game: Address }

export const isGameJob = (job: AnchorJob) => job.kind === GAME_TIMEOUT || job.kind === GAME_WITHDRAW

/** The game id a timeout job is for. */
const idOf = (job: AnchorJob) => BigInt((job.receipt as MarketJobCall).write.id as string)

let counter = 0

/** The job's fields for a write (AnchorQueue.addGame): one timeout per game and sender, a withdrawal per click. */
export function gameJob(config: ChainConfig, w: GameWrite, fromBlock: bigint, now = Date.now()) {
  const key = w.kind === GAME_TIMEOUT ? `game-${w.id}` : `${now}-${counter++}`
  const receipt: MarketJobCall = { write: jsonSafe(w), fromBlock: fromBlock.toString() }
  return {
    id: [config.chainId, w.game, w.kind, key, w.from].join(':').toLowerCase(),
    kind: w.kind,
    receiptHash: hashJson(receipt),
    root: `0x${'0'.repeat(64)}` as Hex,
    uri: '',
    signer: w.from,
    registry: w.game,
    receipt,
  }
}

/** A game job in words, for the wallet's queue. */
export const gameJobText = (job: AnchorJob): string =>
  job.kind === GAME_TIMEOUT
    ? `claim the timeout in dispute game ${idOf(job)}`
    : 'withdraw what the dispute game owes you'

const gameOf = (client: Parameters<Writer['read']>[0], job: AnchorJob) =>
  client.readContract({
    address: job.registry,
    abi: disputeGameAbi,
    functionName: 'gameOf',
    args: [idOf(job)],
  })

function send(session: Parameters<Writer['send']>[0], config: ChainConfig, job: AnchorJob, what: string) {
  const wallet = walletClient(session.provider, session.address, config)
  const call =
    job.kind === GAME_TIMEOUT
      ? { functionName: 'timeout' as const, args: [idOf(job)] as const }
      : { functionName: 'withdraw' as const, args: [] as const }
  return wallet
    .writeContract({ address: job.registry, abi: disputeGameAbi, ...call } as never)
    .catch((e: unknown) => {
      throw walletError(e, what)
    })
}

export const gameWriters: Record<string, Writer> = {
  [GAME_TIMEOUT]: {
    async read(client, _config, job) {
      if ((await gameOf(client, job)).phase !== Phase.Done) return null
      const [settled] = await client.getContractEvents({
        address: job.registry,
        abi: disputeGameAbi,
        eventName: 'Settled',
        args: { id: idOf(job) },
        fromBlock: 0n,
      })
      return at(client, settled?.blockNumber ?? null, settled?.transactionHash ?? null)
    },
    async ready(client, _config, job) {
      const [g, block] = await Promise.all([gameOf(client, job), client.getBlock()])
      if (g.phase === Phase.None) throw new ChainMovedOnError(`There is no dispute game ${idOf(job)}.`)
      if (block.timestamp <= g.deadline)
        throw new ChainMovedOnError(
          `Game ${idOf(job)}'s deadline has not passed: the party whose move it was moved in time.`,
          { details: 'Nothing was sent. The game goes on; its view shows whose move it is now.' },
        )
    },
    send: (session, config, job) => send(session, config, job, 'claiming the timeout'),
  },
  [GAME_WITHDRAW]: {
    read: (client, _config, job) => eventLanded(client, job, disputeGameAbi, 'Withdrawn', { to: job.signer }),
    async ready(client, _config, job) {
      const owed = await client.readContract({
        address: job.registry,
        abi: disputeGameAbi,
        functionName: 'owed',
        args: [job.signer],
      })
      if (owed === 0n) throw new ChainMovedOnError(`The dispute game owes ${job.signer} nothing.`)
    },
    send: (session, config, job) => send(session, config, job, 'withdrawing'),
  },
}
