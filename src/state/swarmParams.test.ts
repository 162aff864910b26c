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
})
