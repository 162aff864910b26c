// `lockstep swarm --kind rl`: a Node peer in the RL swarm the tabs join (src/rl/sapo/, docs/rl.md), on the
// CPU reference or the GPU through Dawn (--gpu) — the same bits as a tab's, so a server GPU and browser
// tabs train together and check each other. It reaches the tabs through the relay (nodeNet.ts) and
// starts from the shipped warm start (public/rl/), as they do. One line per round on stdout (--json: one
// RoundReport per line); stops after --rounds or on Ctrl-C, leaving the topic cleanly.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from '../errors/cli.ts'
import { backendRlCompute } from '../rl/compute.ts'
import {
  MAX_UNAVAILABLE,
  RL_PEER,
  RlPeer,
  rlSwarmParams,
  rlTaskBook,
  maxBlobBytes,
  roundWinners,
} from '../rl/sapo/index.ts'
import { generateGroups } from '../rl/rollout.ts'
import { taskFromId } from '../rl/tasks.ts'
import type { RoundReport } from '../rl/types.ts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { joinSwarmNetNode } from '../swarm/net/nodeNet.ts'
import { DEFAULT_SWARM_NAME, SWARM_NAME } from '../state/swarmParams.ts'
import { hashJson } from '../receipts/training.ts'
import { flag, flags } from './args.ts'
import { cliBackend } from './backend.ts'
import { peerIdentity } from './identity.ts'
import { startNodeClaims } from './swarmClaims.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'

/** How long leaving (the round in progress, then closing connections) may take after a signal. */
const LEAVE_MS = 10_000

/** The shipped warm start: dist-cli/main.js runs one folder below the repository's (or package's) root. */
export function shippedWarmStart(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'rl', 'warmstart.lscp')
}

/** One line a round: what a person watching a terminal wants to see. */
export function roundLine(r: RoundReport): string {
  const pts = (m: number | null) => (m === null ? '–' : (m / 1000).toFixed(3))
  const dropped = r.peers.filter((p) => p.dropped).map((p) => p.peer.slice(-6))
  // Blobs it could not fetch: not a fault (no answer proves nothing), worth a look by whoever runs it.
  const unanswered = r.peers.filter((p) => !p.dropped && (p.unavailable ?? 0) >= MAX_UNAVAILABLE)
  return [
    `round ${r.round}`,
    `reward ${pts(r.meanReward)}`,
    `swarm median ${pts(r.swarmMedian)}`,
    `groups sent ${r.groupsSent} received ${r.groupsReceived}`,
    `peers ${r.peers.length}`,
    dropped.length ? `dropped ${dropped.join(', ')}` : '',
    unanswered.length
      ? `blob unanswered ${unanswered.map((p) => `${p.peer.slice(-6)} ×${p.unavailable}`).join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join(' · ')
}

export async function swarmCommand(args: string[]): Promise<number> {
  const kind = flag(args, 'kind') ?? 'rl'
  if (kind !== 'rl')
    throw new UsageError(
      `--kind ${kind}: a Node peer joins the RL swarm (rl); the averaging swarm runs in tabs`,
    )
  const relays = flags(args, 'relay').flatMap((r) => r.split(','))
  if (relays.length === 0 || relays.some((r) => !r.startsWith('/') || !r.includes('/p2p/')))
    throw new UsageError('--relay takes the relay multiaddr, with its /p2p/<id> (as `lockstep relay` prints)')
  const name = flag(args, 'name') ?? DEFAULT_SWARM_NAME
  if (!SWARM_NAME.test(name)) throw new UsageError('--name: 1 to 40 letters, digits, "-" or "_"')
  const roundsFlag = flag(args, 'rounds')
  const rounds = roundsFlag === undefined ? undefined : Number(roundsFlag)
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1))
    throw new UsageError(`--rounds ${roundsFlag} is not a positive integer`)
  const json = args.includes('--json')

  const params = rlSwarmParams(name)
  const file = flag(args, 'warmstart') ?? shippedWarmStart()
  const model = decodeCheckpoint(new Uint8Array(readFileSync(file)), maxBlobBytes(params))
  if (hashJson(model.config) !== hashJson(params.config))
    throw new UsageError(`${file} is not this swarm's warm start: its training config differs`)

  const backend = await cliBackend(args)
  const identity = flag(args, 'identity')
  const claim = args.includes('--claim')
  // Claims need the key in hand (it proves the peer id to the coordinator): a fresh one unless given.
  const privateKey = identity
    ? (await peerIdentity(identity)).key
    : claim
      ? await generateKeyPair('secp256k1')
      : undefined
  const { net, stop } = await joinSwarmNetNode(relays, {
    onError: (e) => console.error(e.message),
    privateKey,
  })
  const compute = backendRlCompute(backend.be, { tasks: taskFromId, generate: generateGroups })
  const claims = claim ? await startNodeClaims(args, { net, key: privateKey!, name, params, compute }) : null
  const peer = new RlPeer({
    net,
    compute,
    serve: claims?.agent.serve,
    book: rlTaskBook,
    params,
    mine: RL_PEER,
    model,
    rounds,
    // Start at the round the running swarm is at; alone, at round 0 after two collection windows.
    join: true,
  })
  console.error(
    `lockstep swarm: ${net.self} joined RL swarm "${name}" on the ${backend.name}; listening for its round…`,
  )
  peer.on('round', (r) => console.log(json ? JSON.stringify(r) : roundLine(r)))
  if (claims) {
    peer.on('published', (p) => claims.agent.published(p))
    peer.on(
      'round',
      (r) =>
        void claims.agent.tick(
          r.peers.map((p) => p.peer),
          roundWinners(r),
        ),
    )
  }
  peer.on('error', (e) => console.error(`lockstep swarm: ${e.message}`))
  const leave = new AbortController()
  // The first signal leaves after the round in progress; if leaving hangs (a relay gone mid-stop) or a
  // second signal comes, exit anyway: a peer nobody can stop would run rounds alone forever.
  const onSignal = () => {
    if (leave.signal.aborted) process.exit(130)
    leave.abort()
    setTimeout(() => process.exit(130), LEAVE_MS).unref()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await peer.start(leave.signal)
  } finally {
    await Promise.race([stop(), new Promise((r) => setTimeout(r, LEAVE_MS).unref())])
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    claims?.agent.stop()
    backend.dispose()
  }
  return 0
}
