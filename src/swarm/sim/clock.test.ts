import { describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { VirtualClock } from './clock.ts'

describe('VirtualClock', () => {
  it('fires timers in time order, equal times in the order they were set; a cancelled one never', async () => {
    const clock = new VirtualClock(1000)
    const fired: string[] = []
    clock.after(30, () => fired.push(`c@${clock.now()}`))
    clock.after(10, () => fired.push(`a@${clock.now()}`))
    clock.after(10, () => fired.push(`b@${clock.now()}`))
    const cancel = clock.after(20, () => fired.push('cancelled'))
    cancel()
    await clock.sleep(40)
    expect(fired).toEqual(['a@1010', 'b@1010', 'c@1030'])
    expect(clock.now()).toBe(1040)
  })

  it('keeps whole milliseconds (a seq stamped from it must be an integer)', async () => {
    const clock = new VirtualClock()
    await clock.sleep(2.3)
    expect(clock.now()).toBe(3)
  })

  it('stands still while work runs: a long chain of promises ends before a 0 ms timer fires', async () => {
    const clock = new VirtualClock()
    let deadline = false
    clock.after(0, () => (deadline = true))
    let steps = 0
    for (let i = 0; i < 10_000; i++) await Promise.resolve(steps++)
    expect(deadline).toBe(false)
    expect(clock.now()).toBe(0)
    await clock.sleep(0)
    expect(deadline).toBe(true)
  })

  it('stands still while a file read is in flight', async () => {
    const clock = new VirtualClock()
    let at = -1
    const read = readFile('package.json').then(() => (at = clock.now()))
    clock.after(5, () => {})
    await read
    expect(at).toBe(0)
  })

  it('wakes a waiter at the instant its condition holds, before time moves on', async () => {
    const clock = new VirtualClock()
    let n = 0
    const tick = () => clock.after(100, () => (n++, tick()))
    tick()
    await clock.until(() => n === 3)
    expect(clock.now()).toBe(300)
    await expect(clock.until(() => n < 0, 1000, 'never')).rejects.toThrow(/1000 ms of virtual time for never/)
    expect(clock.now()).toBe(1300)
  })

  it('sleeps until aborted', async () => {
    const clock = new VirtualClock()
    const abort = new AbortController()
    clock.after(50, () => abort.abort(new Error('enough')))
    await expect(clock.sleep(1000, abort.signal)).rejects.toThrow('enough')
    expect(clock.now()).toBe(50)
    expect(clock.pending).toBe(0)
  })
})
