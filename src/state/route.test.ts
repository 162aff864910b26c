import { describe, expect, it } from 'vitest'
import { pageFor } from './route.ts'

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
  ])('%s %s opens %s', (search, hash, page) => {
    expect(pageFor(search, hash)).toBe(page)
  })
})
