import { describe, expect, it } from 'vitest'
import { trainParams } from './params.ts'

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
