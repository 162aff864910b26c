import { describe, expect, it } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'
import type { Head } from './messages.ts'
import { adoptable, chooseHead } from './join.ts'

const h = (s: string): Hex => keccak256(toHex(s))
const head = (round: number, model: string, parent: string | null): Head => ({
  type: 'head',
  round,
  model: h(model),
  blob: h(`blob ${model}`),
  parent: parent === null ? null : h(parent),
})

describe('which head a syncing peer adopts', () => {
  it('two peers one round apart on one chain outvote a lone peer far ahead on its own', () => {
    const heads = new Map([
      ['b', head(40, 'S40', 'S39')],
      ['c', head(41, 'S41', 'S40')],
      ['liar', head(700, 'X700', 'X699')],
    ])
    expect(chooseHead(heads)).toEqual({ head: heads.get('c'), from: ['c'], support: 2 })
  })

  it('the head most peers report wins; among equals the newest', () => {
    const heads = new Map([
      ['a', head(5, 'S5', 'S4')],
      ['b', head(5, 'S5', 'S4')],
      ['c', head(9, 'T9', 'T8')],
    ])
    expect(chooseHead(heads)?.from).toEqual(['a', 'b'])
    expect(
      chooseHead(
        new Map([
          ['a', head(5, 'S5', null)],
          ['c', head(9, 'T9', null)],
        ]),
      )?.from,
    ).toEqual(['c'])
    expect(chooseHead(new Map())).toBeUndefined()
  })
})

describe('a head nobody can serve', () => {
  it('is skipped, so a peer that left after announcing a newer head does not hold every sync', () => {
    // a, b and c at round 84; the departed d announced round 85 on their chain: it wins the tie on
    // rounds, and its checkpoint is gone with it.
    const heads = new Map([
      ['a', head(84, 'S84', 'S83')],
      ['b', head(84, 'S84', 'S83')],
      ['c', head(84, 'S84', 'S83')],
      ['d', head(85, 'S85', 'S84')],
    ])
    expect(adoptable(heads, new Set())?.from).toEqual(['d'])
    const best = adoptable(heads, new Set(), new Set([h('blob S85')]))
    expect(best?.head).toEqual(heads.get('a'))
    expect(best?.from).toEqual(['a', 'b', 'c'])
    // When every head is unservable there is nothing to adopt.
    expect(adoptable(new Map([['d', heads.get('d')!]]), new Set(), new Set([h('blob S85')]))).toBeUndefined()
  })
})
