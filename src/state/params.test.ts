import { describe, expect, it } from 'vitest'
import { teachSwarmParams, trainParams } from './params.ts'

describe('trainParams', () => {
  it('reads preset, steps, autostart and teach, ignoring what is not valid', () => {
    expect(trainParams('?preset=demo&steps=40&autostart=1&teach=1')).toEqual({
      preset: 'demo',
      steps: 40,
      autostart: true,
      teach: true,
    })
    expect(trainParams('?preset=huge&steps=-3')).toEqual({
      preset: undefined,
      steps: undefined,
      autostart: false,
      teach: false,
    })
    expect(trainParams('?teach=yes')).toMatchObject({ teach: false })
    expect(trainParams('')).toEqual({ preset: undefined, steps: undefined, autostart: false, teach: false })
  })
})

describe('teachSwarmParams', () => {
  it('reads teachSwarm, teachPeers and teachCheat, ignoring what is not valid', () => {
    expect(teachSwarmParams('?teachSwarm=1&teachPeers=5&teachCheat=5')).toEqual({
      autostart: true,
      peers: 5,
      cheat: 5,
    })
    expect(teachSwarmParams('?teachPeers=7&teachCheat=5')).toEqual({
      autostart: false,
      peers: 4,
      cheat: undefined,
    })
    expect(teachSwarmParams('?teachCheat=0')).toMatchObject({ cheat: undefined })
    expect(teachSwarmParams('')).toEqual({ autostart: false, peers: 4, cheat: undefined })
  })
})
