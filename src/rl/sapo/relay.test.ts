// Two Node peers (`lockstep swarm`) that reach each other only through a real relay: gossip through its
// mesh, spot-check blobs over relayed circuits, on the CPU reference and the shipped warm start, joining
// as the CLI does. Each must receive the other's groups, verify the other's blob, and drop no one.
//
// Started together, both joins hear nobody, and a peer expects only peers it has heard (through a relay
// no one is a connected subscriber): until each has read a message of the other, its rounds close at
// once. Both peers, and the relay, share this test's one thread, so on a busy machine that took two
// rounds (CI, 2026-12-05: the other's first groups arrived in round 2). So: six rounds, and the last
// three that both ran must be full on both sides — once each has heard the other it waits for it,
// up to a collection window wide enough for the other's compute on a busy machine (20 s).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelay } from '../../../scripts/relay.mjs'
import { joinSwarmNetNode, type NodeSwarmNet } from '../../swarm/net/nodeNet.ts'
import { decodeCheckpoint } from '../../swarm/protocol/codec.ts'
import { cpuBackend } from '../../train/cpu.ts'
import { backendRlCompute } from '../compute.ts'
import { generateGroups } from '../rollout.ts'
import { taskFromId } from '../tasks.ts'
import type { RoundReport } from '../types.ts'
import { rlTaskBook } from './book.ts'
import { RL_PEER, rlSwarmParams } from './defaults.ts'
import { maxBlobBytes } from './params.ts'
import { RlPeer } from './peer.ts'

let relay: Awaited<ReturnType<typeof startRelay>>
let nets: NodeSwarmNet[] = []

beforeAll(async () => {
  relay = await startRelay({ port: 0 })
  nets = await Promise.all([joinSwarmNetNode(relay.multiaddrs), joinSwarmNetNode(relay.multiaddrs)])
}, 30_000)
afterAll(async () => {
  await Promise.all(nets.map((n) => n.stop()))
  await relay?.stop()
})

describe('two Node RL peers through a relay', () => {
  it('receive each other’s groups, verify each other’s blobs and drop no one', async () => {
    const params = rlSwarmParams('relay-test')
    const file = new URL('../../../public/rl/warmstart.lscp', import.meta.url)
    const model = decodeCheckpoint(new Uint8Array(readFileSync(file)), maxBlobBytes(params))
    const peers = nets.map(
      ({ net }) =>
        new RlPeer({
          net,
          compute: backendRlCompute(cpuBackend, { tasks: taskFromId, generate: generateGroups }),
          book: rlTaskBook,
          params,
          // Every chosen group regenerated: each round fetches the other's blob through the relay.
          mine: { ...RL_PEER, checkRate: 1, collectMs: 20_000 },
          model,
          rounds: 6,
          join: true,
          joinMs: 10_000,
        }),
    )
    const reports: RoundReport[][] = peers.map(() => [])
    const errors: Error[] = []
    peers.forEach((p, i) => p.on('round', (r) => reports[i].push(r)))
    peers.forEach((p) => p.on('error', (e) => errors.push(e)))
    // How each round's collection ended, to read when an assertion fails.
    const collected: string[] = []
    peers.forEach((p, i) => p.on('collected', (c) => collected.push(`peer ${i}: ${JSON.stringify(c)}`)))
    await Promise.all(peers.map((p) => p.start()))

    expect(errors).toEqual([])
    const log = collected.join('\n')
    for (const [i, mine] of reports.entries()) {
      const other = nets[1 - i].net.self
      expect(mine).toHaveLength(6)
      // Rounds both ran (one that fell behind catches up by skipping a round, and then runs one more).
      const theirs = new Set(reports[1 - i].map((r) => r.round))
      const settled = mine.filter((r) => theirs.has(r.round)).slice(-3)
      expect(settled.length, log).toBe(3)
      expect(
        settled.map((r) => r.groupsReceived),
        log,
      ).toEqual(settled.map(() => params.local))
      const last = mine.at(-1)!.peers.find((p) => p.peer === other)!
      expect(last.verified).toBeGreaterThan(0)
      expect(last.failed).toBe(0)
      expect(last.unavailable ?? 0).toBe(0)
      expect(mine.every((r) => r.peers.every((p) => !p.dropped))).toBe(true)
    }
  }, 120_000)
})
