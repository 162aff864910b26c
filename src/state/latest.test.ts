import { expect, it } from 'vitest'
import { latest } from './latest.ts'

it('runs one read at a time, and once more for every burst asked while one ran', async () => {
  const started: number[] = []
  let release: (() => void)[] = []
  let n = 0
  const read = latest(() => {
    started.push(++n)
    return new Promise<void>((r) => release.push(r))
  })
  const first = read()
  const [second, third] = [read(), read()]
  expect(second).toBe(third)
  expect(started).toEqual([1])
  release.shift()!()
  await first
  await Promise.resolve()
  expect(started).toEqual([1, 2])
  release.shift()!()
  await second
  expect(started).toEqual([1, 2])
  const fourth = read()
  expect(started).toEqual([1, 2, 3])
  release.shift()!()
  await fourth
  release = []
})
