// `lockstep leaderboard`: a swarm's round and stage and its verified-reward leaderboard as the
// coordinator keeps it (docs/chain.md#the-verified-reward-rule), with rows for the peers asked about
// that are not on it. Rewards are the contract's integers (thousandths of reward points).
import {
  readLeaderboard,
  readPeers,
  readSwarm,
  swarmId,
  type PeerTotals,
  type SwarmState,
} from '../chain/coordinator.ts'
import { NoSuchSwarmError } from '../errors/chain.ts'
import { DEFAULT_SWARM_NAME } from '../state/swarmParams.ts'
import { flag, flags } from './args.ts'
import { chainAccess } from './coordinatorArgs.ts'

export interface BoardRow {
  /** 1-based rank on the board; null for a peer asked about that is not on it. */
  rank: number | null
  peerId: string
  eoa: string
  claimed: string
  verified: string
  /** Refuted by at least one attester: disputed until a referee settles it. */
  disputed: string
  /** Claimed, neither verified nor refuted yet. */
  pending: string
  wins: string
  /** verified / claimed in percent (one decimal); null with nothing claimed. */
  verifiedShare: number | null
}

function row(rank: number | null, p: PeerTotals): BoardRow {
  const pending = p.claimed - p.verified - p.refuted
  return {
    rank,
    peerId: p.peerId,
    eoa: p.eoa,
    claimed: p.claimed.toString(),
    verified: p.verified.toString(),
    disputed: p.refuted.toString(),
    pending: (pending > 0n ? pending : 0n).toString(),
    wins: p.wins.toString(),
    verifiedShare: p.claimed === 0n ? null : Number((p.verified * 1000n) / p.claimed) / 10,
  }
}

function table(rows: BoardRow[]): string {
  const head = ['rank', 'peer', 'eoa', 'claimed', 'verified', 'share', 'disputed', 'pending', 'wins']
  const cells = rows.map((r) => [
    r.rank === null ? '–' : String(r.rank),
    r.peerId,
    r.eoa,
    r.claimed,
    r.verified,
    r.verifiedShare === null ? '–' : `${r.verifiedShare.toFixed(1)}%`,
    r.disputed,
    r.pending,
    r.wins,
  ])
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  // Text columns left, numbers right.
  const line = (c: string[]) =>
    c.map((v, i) => (i === 1 || i === 2 ? v.padEnd(width[i]) : v.padStart(width[i]))).join('  ')
  return [line(head), ...cells.map(line)].join('\n')
}

const stateLine = (s: SwarmState) =>
  `swarm "${s.name}" (${s.id}): round ${s.round}, stage ${s.stage} of ${s.stageCount}; ${s.peers} peers, quorum ${s.quorum}`

export async function leaderboardCommand(args: string[]): Promise<number> {
  const name = flag(args, 'name') ?? DEFAULT_SWARM_NAME
  const asked = flags(args, 'peer')
  const { client, coordinator } = await chainAccess(args)
  const ref = { ...coordinator, swarm: swarmId(name) }
  const swarm = await readSwarm(client, ref)
  if (!swarm)
    throw new NoSuchSwarmError(
      `The coordinator at ${ref.address} on chain ${ref.config.chainId} has no swarm "${name}".`,
    )
  const board = (await readLeaderboard(client, ref)).map((p, i) => row(i + 1, p))
  const onBoard = new Set(board.map((r) => r.peerId))
  const off = [...new Set(asked)].filter((id) => !onBoard.has(id))
  const others = off.length
    ? (await readPeers(client, ref, off)).map((p, i) => row(null, { ...p, peerId: off[i] }))
    : []
  if (args.includes('--json')) {
    const { id, round, stage, stageCount, quorum, peers, voters, creator } = swarm
    const out = {
      chainId: ref.config.chainId,
      coordinator: ref.address,
      swarm: { name, id, creator, round, stage, stageCount, quorum, peers, voters },
      leaderboard: board,
      peers: others,
    }
    console.log(JSON.stringify(out, null, 2))
    return 0
  }
  console.log(stateLine(swarm))
  console.log(`coordinator ${ref.address} on chain ${ref.config.chainId}`)
  console.log('')
  if (board.length === 0 && others.length === 0) console.log('no verified rewards yet')
  else {
    console.log(table([...board, ...others]))
    if (others.length) console.log(`(– : not on the board of ${board.length}; its totals from getPeers)`)
  }
  return 0
}
