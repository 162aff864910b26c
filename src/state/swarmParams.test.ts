import { describe, expect, it } from 'vitest'
import { swarmTopic } from '../swarm/protocol/index.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { pageSwarmParams, swarmLink, swarmUrlParams } from './swarmParams.ts'

const corpus = { ...KJV_PENTATEUCH, sha256: 'a'.repeat(64) }

describe('the swarm a page joins', () => {
  it('reads ?swarmName=, refusing names that are not short and URL-safe', () => {
    expect(swarmUrlParams('?swarmName=class-7b').name).toBe('class-7b')
    expect(swarmUrlParams('').name).toBe('lockstep')
    for (const bad of ['a b', 'x'.repeat(41), '../x', ''])
      expect(swarmUrlParams(`?swarmName=${encodeURIComponent(bad)}`).name).toBe('lockstep')
  })

  it('reads the swarm kind from ?swarm=rl (joining) or ?swarmKind= (preselecting), else averaging', () => {
    const read = (q: string) => {
      const { kind, autojoin } = swarmUrlParams(q)
      return { kind, autojoin }
    }
    expect(read('')).toEqual({ kind: 'averaging', autojoin: false })
    expect(read('?swarm=1')).toEqual({ kind: 'averaging', autojoin: true })
    expect(read('?swarm=rl')).toEqual({ kind: 'rl', autojoin: true })
    expect(read('?swarmKind=rl')).toEqual({ kind: 'rl', autojoin: false })
    expect(read('?swarm=1&swarmKind=rl')).toEqual({ kind: 'rl', autojoin: true })
    for (const bad of ['?swarm=RL', '?swarmKind=ppo', '?swarm=rl2', '?swarmKind='])
      expect(read(bad)).toEqual({ kind: 'averaging', autojoin: false })
  })

  it('gives each name its own topic, and the default the topic it had before names', () => {
    const base = pageSwarmParams(corpus, 2, 'lockstep')
    expect(base.name).toBeUndefined()
    const topics = new Set(
      ['lockstep', 'class-7b', 'class-7c'].map((n) => swarmTopic(pageSwarmParams(corpus, 2, n))),
    )
    expect(topics.size).toBe(3)
  })

  it('links to the same swarm without the opener’s one-off settings', () => {
    const link = swarmLink('http://127.0.0.1:5173/?swarmMin=4&swarmCheat=1&preset=tiny#receipt=x', 'class-7b')
    const url = new URL(link)
    expect(url.searchParams.get('swarm')).toBe('1')
    expect(url.searchParams.get('swarmName')).toBe('class-7b')
    expect(url.searchParams.get('preset')).toBe('tiny')
    expect(url.searchParams.has('swarmMin') || url.searchParams.has('swarmCheat') || url.hash !== '').toBe(
      false,
    )
  })

  it('links to an RL swarm with ?swarm=rl, which reads back as the same kind and name', () => {
    const link = swarmLink('http://127.0.0.1:5173/?swarmKind=rl#/join', 'class-7b', 'rl')
    const url = new URL(link)
    expect(url.searchParams.get('swarm')).toBe('rl')
    expect(url.searchParams.has('swarmKind')).toBe(false)
    expect(swarmUrlParams(url.search)).toMatchObject({ kind: 'rl', autojoin: true, name: 'class-7b' })
    expect(new URL(swarmLink(link, 'class-7b', 'averaging')).searchParams.get('swarm')).toBe('1')
  })
})
