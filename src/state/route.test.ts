import { describe, expect, it } from 'vitest'
import { marketFor, marketHref, pageFor } from './route.ts'

describe('pageFor', () => {
  it.each([
    ['', '', 'home'],
    ['', '#/', 'home'],
    ['', '#/verify', 'verify'],
    ['', '#/join', 'join'],
    ['?swarm=1', '#/markets', 'markets'],
    ['', '#/nowhere', 'home'],
    // Links made before pages existed keep their meaning.
    ['', '#receipt=eyJ9', 'verify'],
    ['', '#settlement=abc', 'markets'],
    ['?swarm=1&swarmMin=3', '', 'join'],
    ['?swarm=rl', '', 'join'],
    ['?swarmKind=rl', '', 'join'],
    ['?swarm=0', '', 'home'],
    ['?teach=1', '', 'train'],
    ['?teachSwarm=1', '', 'train'],
    ['?preset=tiny&steps=2&autostart=1', '', 'train'],
    ['?relay=/ip4/127.0.0.1/tcp/9090/ws', '', 'home'],
    ['', `#/markets/0x${'ab'.repeat(20)}`, 'markets'],
    [`?market=0x${'ab'.repeat(20)}`, '', 'markets'],
  ])('%s %s opens %s', (search, hash, page) => {
    expect(pageFor(search, hash)).toBe(page)
  })
})

describe('marketFor', () => {
  const a = `0x${'Ab'.repeat(20)}`
  it('reads a market from the page link or ?market=, and nothing else', () => {
    expect(marketFor('', marketHref(a))).toBe(a)
    expect(marketFor(`?market=${a}`, '')).toBe(a)
    expect(marketFor('', '#/markets')).toBeNull()
    expect(marketFor('?market=0x12', '')).toBeNull()
    expect(marketFor('', `#/markets/${a}00`)).toBeNull()
  })
})
