// In the browser project (not for the GPU: for real layout, canvas and colours). The RL dashboard fed
// synthetic RoundReports through its store: every part of the automation contract is there with the
// report's numbers, axe finds nothing serious in the light or the dark theme, and at a phone's width
// nothing but the tables' own scroll regions is wider than the screen.
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, expect, it } from 'vitest'
import axe from 'axe-core'
import './theme.css'
import themeCss from './theme.css?raw'
import RlDashboard from './RlDashboard.svelte'
import { RlSwarmSession } from '../state/rlSwarm.svelte.ts'
import type { RoundReport } from '../rl/types.ts'

const task = { id: 'add/2/77', family: 'add', level: 2, prompt: '\n12+34=', answer: '46' } as const

function report(round: number): RoundReport {
  return {
    round,
    peer: 'self-peer',
    state: `0x${(round + 1).toString(16).padStart(64, 'a')}`,
    meanReward: 200 + 100 * round,
    swarmMedian: 150 + 90 * round,
    accuracy: { add: { correct: round, total: 4 }, reverse: { correct: 1, total: 2 } },
    sample: { task, completions: ['46\n', '47\n', '4\u0001'], rewards: [1000, 0, -200] },
    groupsSent: 4,
    groupsReceived: 8,
    bytesSent: 2048,
    bytesReceived: 4096,
    peers: [
      { peer: '16Uiu2HAmHonestPeerNumberOne', reward: 650, verified: 3, failed: 0, dropped: false, score: 3 },
      {
        peer: '16Uiu2HAmForgerPeerNumberTwo',
        reward: 1000,
        verified: 0,
        failed: round >= 2 ? 1 : 0,
        dropped: round >= 2,
        score: round >= 2 ? -5 : 0,
      },
    ],
  }
}

/** The dark scheme's colours, applied as the media query would (the test cannot change the OS scheme). */
function darkTheme(on: boolean): void {
  const block = /prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}/.exec(themeCss)![1]
  for (const [, name, value] of block.matchAll(/(--[\w-]+):\s*([^;]+);/g))
    if (on) document.documentElement.style.setProperty(name, value.trim())
    else document.documentElement.style.removeProperty(name)
}

async function serious(el: Element): Promise<string[]> {
  const { violations } = await axe.run(el)
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

const cleanup: (() => void)[] = []
afterEach(() => cleanup.splice(0).forEach((f) => f()))

function show(width: number, rounds: number) {
  const s = new RlSwarmSession()
  s.self = 'self-peer'
  const target = document.createElement('div')
  target.style.width = `${width}px`
  document.body.append(target)
  const app = mount(RlDashboard, { target, props: { s } })
  for (let r = 0; r < rounds; r++) s.receive(report(r))
  flushSync()
  cleanup.push(() => {
    unmount(app)
    target.remove()
    darkTheme(false)
  })
  return { s, target, q: (id: string) => target.querySelector(`[data-testid="${id}"]`)! }
}

it('shows the newest report in every contract id: reward, median, accuracy, the question, traffic, peers', () => {
  const { q, target, s } = show(900, 4)
  expect(q('rl-dashboard').getAttribute('data-rounds')).toBe('4')
  expect(q('rl-round').getAttribute('data-round')).toBe('3')
  expect(q('rl-reward').getAttribute('data-value')).toBe('500')
  expect(q('rl-reward').textContent).toBe('0.500')
  expect(q('rl-median').getAttribute('data-value')).toBe('420')
  const caption = () => q('rl-chart-summary').textContent!.replace(/\s+/g, ' ')
  expect(caption()).toContain(
    "The warm start's mean reward is 0.200 (this peer's first round, round 0). This peer's was 0.500 in round 3, 0.350 over its last 4 rounds;",
  )
  // The measured level (public/rl/warmstart.json), once loaded, replaces the first round's.
  s.warmLevel = 402.6
  flushSync()
  expect(caption()).toContain("The warm start's mean reward is 0.403 (measured on 256 held-out tasks).")
  expect(target.querySelectorAll('canvas').length).toBe(1)

  const acc = [...target.querySelectorAll('[data-testid="rl-accuracy-row"]')].map((r) =>
    ['family', 'correct', 'total', 'recent-correct', 'recent-total'].map((a) => r.getAttribute(`data-${a}`)),
  )
  expect(acc).toEqual([
    ['add', '3', '4', '6', '16'],
    ['reverse', '1', '2', '4', '8'],
  ])

  expect(q('rl-sample').getAttribute('data-task')).toBe('add/2/77')
  expect(q('rl-sample-question').textContent).toBe('12+34=')
  const answers = [...target.querySelectorAll('[data-testid="rl-completion"]')]
  expect(answers.map((a) => [a.getAttribute('data-reward'), a.getAttribute('data-correct')])).toEqual([
    ['1000', 'true'],
    ['0', 'false'],
    ['-200', 'false'],
  ])
  expect(answers[2].textContent).toContain('4\\x01')

  const traffic = q('rl-traffic')
  expect(
    ['sent', 'received', 'bytes-sent', 'total-received'].map((a) => traffic.getAttribute(`data-${a}`)),
  ).toEqual(['4', '8', '2048', '32'])

  const peers = [...target.querySelectorAll('[data-testid="rl-peer-row"]')]
  expect(peers.map((p) => [p.getAttribute('data-dropped'), p.getAttribute('data-dropped-round')])).toEqual([
    ['false', null],
    ['true', '2'],
  ])
  expect(peers[1].textContent).toContain('dropped since round 2')
  expect(target.querySelectorAll('[data-testid="rl-history-row"]').length).toBe(4)
})

it('has no serious axe violations in light and dark, and fits a 375 px phone', async () => {
  const { target, q } = show(375, 6)
  for (const dark of [false, true]) {
    darkTheme(dark)
    expect(await serious(target), dark ? 'dark' : 'light').toEqual([])
  }
  const dash = q('rl-dashboard') as HTMLElement
  expect(dash.scrollWidth).toBeLessThanOrEqual(375)
})

it('says so before the first round, with empty tables rather than none', () => {
  const { q } = show(600, 0)
  expect(q('rl-first-round')).not.toBeNull()
  expect(q('rl-chart-summary').textContent).toContain('No round finished yet')
  expect(q('rl-peers').getAttribute('data-count')).toBe('0')
})
