// `lockstep dispute --onchain`, two parties as two CLI processes against anvil's DisputeGame: an honest
// producer and one whose receipt hides a corrupted operator (demo.ts testProducer), each playing from its
// own trace of the disputed step, with the cheater as defender and then as challenger. The contract names
// the cheater; the honest process exits 0, the cheater's 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { demoConfig, testProducer } from '../disputes/demo.ts'
import { stepTraceFile } from '../disputes/stepTrace.ts'
import { WINDOW, startGame } from '../disputes/testing.ts'
import { lockstep } from './testing.ts'

let chain: Awaited<ReturnType<typeof startGame>>
const dir = mkdtempSync(join(tmpdir(), 'lockstep-game-'))
const file = (name: string, body: unknown) => {
  writeFileSync(join(dir, name), JSON.stringify(body))
  return join(dir, name)
}
/** The step the cheater corrupts (operator 40 of step 3), as the Settle page's demo dispute does. */
const STEP = 3

let honest: { receipt: string; trace: string }
let cheater: { receipt: string; trace: string }

beforeAll(async () => {
  chain = await startGame()
  const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
  const [h, c] = await Promise.all([
    testProducer(demoConfig, corpus, chain.keys[0]),
    testProducer(demoConfig, corpus, chain.keys[1], [STEP, 40]),
  ])
  const save = async (name: string, p: typeof h) => ({
    receipt: file(`${name}.json`, p.receipt),
    trace: file(`${name}-trace.json`, stepTraceFile(p.receipt.receiptHash, STEP, await p.traceStep(STEP))),
  })
  honest = await save('honest', h)
  cheater = await save('cheater', c)
}, 120_000)
afterAll(() => chain?.stop())

const games = () =>
  chain.client.readContract({ address: chain.game, abi: disputeGameAbi, functionName: 'games' })

/**
 * `challenger` opens against `defender` (with the defender's trace file); the defender joins by id, or with
 * `watch` starts first and finds the game itself from the Opened event naming it.
 */
async function play(
  challenger: typeof honest,
  defender: typeof honest,
  keys: [number, number],
  watch = false,
) {
  const common = ['--rpc', chain.rpcUrl, '--game', chain.game, '--poll', '200']
  const run = (key: number, args: string[]) =>
    lockstep(['dispute', '--onchain', ...args, ...common], {
      env: { LOCKSTEP_KEY: chain.keys[key] },
      limitMs: 240_000,
    })
  const before = await games()
  const d = watch
    ? run(keys[1], [defender.receipt, challenger.receipt, '--trace', defender.trace, '--watch'])
    : null
  const c = run(keys[0], [
    challenger.receipt,
    defender.receipt,
    '--trace',
    challenger.trace,
    '--their-trace',
    defender.trace,
  ])
  // Without --watch the defender learns the game's id once it is open.
  while ((await games()) === before) await new Promise((r) => setTimeout(r, 200))
  const id = before + 1n // ids count from 1
  const byId = () =>
    run(keys[1], [defender.receipt, challenger.receipt, '--trace', defender.trace, '--id', String(id)])
  const [cr, dr] = await Promise.all([c, d ?? byId()])
  const g = await chain.client.readContract({
    address: chain.game,
    abi: disputeGameAbi,
    functionName: 'gameOf',
    args: [id],
  })
  return { c: cr, d: dr, g }
}

describe('lockstep dispute --onchain', { timeout: 300_000 }, () => {
  it('the honest challenger wins against the cheating defender, both playing from their own traces', async () => {
    const { c, d, g } = await play(honest, cheater, [0, 1])
    expect(c.stdout).toContain(`first divergent step: ${STEP}`)
    expect([c.status, d.status], c.stdout + c.stderr + d.stdout + d.stderr).toEqual([0, 1])
    expect(c.stdout).toMatch(/✓ the game named the other party: challenger wins/)
    expect(g.winner).toBe(chain.alice.account.address)
    // The winner took both bonds off the contract; the loser had nothing to take.
    expect(c.stdout).toMatch(/withdrew 0\.02 ETH to 0x/)
    expect(d.stdout).not.toMatch(/withdrew/)
    const owed = (who: `0x${string}`) =>
      chain.client.readContract({
        address: chain.game,
        abi: disputeGameAbi,
        functionName: 'owed',
        args: [who],
      })
    expect(await owed(chain.alice.account.address)).toBe(0n)
    expect(g.hi).toBe(1) // a one-step game over the disputed step
  })

  it('the honest defender, watching for a game against it, finds it and wins against the cheating challenger', async () => {
    const { c, d, g } = await play(cheater, honest, [1, 0], true)
    expect([c.status, d.status], c.stdout + c.stderr + d.stdout + d.stderr).toEqual([1, 0])
    expect(d.stdout).toMatch(/found game \d+ opened against 0x/)
    expect(d.stdout).toMatch(/✓ the game named the other party: defender wins/)
    expect(g.winner).toBe(chain.alice.account.address)
  })

  it('a defender held to its signed commitment loses by staying away; a commitment from someone else is refused', async () => {
    const common = ['--rpc', chain.rpcUrl, '--game', chain.game, '--poll', '200']
    const commitment = join(dir, 'cheater-commitment.json')
    const published = await lockstep(
      [
        'dispute',
        '--onchain',
        cheater.receipt,
        honest.receipt,
        '--trace',
        cheater.trace,
        '--commit',
        '--out',
        commitment,
        ...common,
      ],
      { env: { LOCKSTEP_KEY: chain.keys[1] } },
    )
    expect(published.status, published.stdout + published.stderr).toBe(0)
    // The honest producer's commitment is not the cheater's: refused before anything is sent.
    const own = join(dir, 'honest-commitment.json')
    await lockstep(
      ['dispute', '--onchain', honest.receipt, cheater.receipt, '--commit', '--out', own, ...common],
      {
        env: { LOCKSTEP_KEY: chain.keys[0] },
      },
    )
    const before = await games()
    const wrong = await lockstep(
      ['dispute', '--onchain', honest.receipt, cheater.receipt, '--their-commitment', own, ...common],
      { env: { LOCKSTEP_KEY: chain.keys[0] } },
    )
    expect(wrong.status).toBe(1)
    expect(wrong.stdout).toMatch(/their commitment is not to this dispute's terms: signed by/)
    expect(await games()).toBe(before)
    // Opened from the commitment alone; the cheater never joins, and the game holds it to what it signed.
    const c = lockstep(
      ['dispute', '--onchain', honest.receipt, cheater.receipt, '--their-commitment', commitment, ...common],
      { env: { LOCKSTEP_KEY: chain.keys[0] }, limitMs: 240_000 },
    )
    while ((await games()) === before) await new Promise((r) => setTimeout(r, 200))
    await chain.passTime(WINDOW + 1n)
    const done = await c
    expect(done.status, done.stdout + done.stderr).toBe(0)
    expect(done.stdout).toMatch(/held to its commitment/)
    const g = await chain.client.readContract({
      address: chain.game,
      abi: disputeGameAbi,
      functionName: 'gameOf',
      args: [before + 1n],
    })
    expect([g.committed, g.winner]).toEqual([true, chain.alice.account.address])
  })

  it('refuses to open without the other trace or an id, and a trace of another step', async () => {
    const usage = await lockstep([
      'dispute',
      '--onchain',
      honest.receipt,
      cheater.receipt,
      '--rpc',
      chain.rpcUrl,
    ])
    expect(usage.status).toBe(2)
    // The honest producer's own trace passed as the cheater's: it answers for another receipt.
    const args = ['--rpc', chain.rpcUrl, '--game', chain.game, '--their-trace', honest.trace]
    const wrong = await lockstep(['dispute', '--onchain', honest.receipt, cheater.receipt, ...args], {
      env: { LOCKSTEP_KEY: chain.keys[0] },
    })
    expect(wrong.status).not.toBe(0)
    expect(wrong.stdout + wrong.stderr).toMatch(/answers for .* not /)
  })
})
