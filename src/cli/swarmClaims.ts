// `lockstep swarm --claim --rpc URL`: the Node peer's verified rewards (docs/chain.md#verified-rewards), as
// a tab's with "Claim rewards on chain": it registers its peer id on the swarm coordinator (once), claims
// the reward of its latest rollouts each coordinator round, and re-executes the others' claims, attesting
// to each. Writes go straight from the key (keys.ts), one at a time; each attestation's evidence file is
// written to --evidence-dir (default ./evidence) before the attestation is sent, so none is ever on chain
// without its file.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import type { Hex } from 'viem'
import {
  attest,
  proveForSwarm,
  rewardChainOf,
  readPeers,
  readSwarm,
  registerPeer,
  submitReward,
  submitWinners,
  swarmId,
  type SwarmRef,
} from '../chain/coordinator.ts'
import { peerSigner } from '../chain/peerProof.ts'
import { NoSuchSwarmError } from '../errors/chain.ts'
import {
  evidenceFileName,
  evidenceText,
  RewardAgent,
  type RewardEvent,
  type SapoParams,
} from '../rl/sapo/index.ts'
import { rlTaskBook } from '../rl/sapo/index.ts'
import type { RlCompute } from '../rl/types.ts'
import type { SwarmNet } from '../swarm/types.ts'
import { flag } from './args.ts'
import { chainAccess } from './coordinatorArgs.ts'
import { sendingKey } from './keys.ts'
import { keyWallet } from './keyWallet.ts'

const MINED_MS = 120_000

export interface NodeClaims {
  agent: RewardAgent
}

/** Registers the peer if it is not yet (waiting for it), then returns the agent the peer feeds. */
export async function startNodeClaims(
  args: string[],
  o: { net: SwarmNet; key: PrivateKey; name: string; params: SapoParams; compute: RlCompute },
): Promise<NodeClaims> {
  const chain = await chainAccess(args)
  const ref: SwarmRef = { ...chain.coordinator, swarm: swarmId(o.name) }
  if (!(await readSwarm(chain.client, ref)))
    throw new NoSuchSwarmError(`The coordinator at ${ref.address} has no swarm "${o.name}".`)
  const wallet = keyWallet(await sendingKey(args, chain.coordinator.config.chainId), chain.coordinator.config)
  const dir = flag(args, 'evidence-dir') ?? 'evidence'
  mkdirSync(dir, { recursive: true })
  const mined = (what: string) => async (hash: Hex) => {
    const r = await chain.client.waitForTransactionReceipt({ hash, timeout: MINED_MS })
    if (r.status !== 'success') throw new Error(`${what}: transaction ${hash} reverted`)
  }
  const [row] = await readPeers(chain.client, ref, [o.net.self])
  if (row.eoa.toLowerCase() !== wallet.address.toLowerCase()) {
    const proof = await proveForSwarm(peerSigner(o.key), wallet.address, ref)
    await registerPeer(wallet, ref, proof).then(mined('registering the peer'))
    console.error(`lockstep swarm: registered ${o.net.self} to ${wallet.address} on ${ref.address}`)
  }
  const agent = new RewardAgent({
    self: o.net.self,
    address: wallet.address,
    swarm: o.name,
    params: o.params,
    book: rlTaskBook,
    compute: o.compute,
    net: o.net,
    chain: rewardChainOf(chain.client, ref),
    writer: {
      claim: (call) => submitReward(wallet, ref, call).then(mined(`claiming round ${call.round}`)),
      vote: (call) => submitWinners(wallet, ref, call).then(mined(`voting for round ${call.round}`)),
      async attest(call, evidence) {
        const file = join(dir, evidenceFileName(call))
        writeFileSync(file, evidenceText(evidence))
        await attest(wallet, ref, call).then(mined(`attesting ${call.claimant}'s claim`))
      },
    },
  })
  agent.on((e) => console.error(`lockstep swarm: ${eventLine(e, dir)}`))
  return { agent }
}

function eventLine(e: RewardEvent, dir: string): string {
  const pts = (x: bigint | null) => (x === null ? '–' : (Number(x) / 1000).toFixed(3))
  switch (e.type) {
    case 'claimed':
      return `claimed ${pts(e.call.reward)} in coordinator round ${e.call.round} stage ${e.call.stage}`
    case 'attested':
      return `${e.call.confirmed ? 'confirmed' : 'refuted'} ${e.call.claimant}'s claim of round ${e.call.round}: ${e.verdict.why} (evidence ${join(dir, evidenceFileName(e.call))})`
    case 'voted':
      return `voted for round ${e.round}'s winners: ${e.winners.join(', ')}`
    case 'unavailable':
      return `could not fetch ${e.claimant}'s claim of round ${e.round} (${e.why})`
    case 'error':
      return `claims: ${e.error.message.split('\n')[0]}`
  }
}
