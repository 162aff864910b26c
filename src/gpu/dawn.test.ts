import { promisify } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { isDawnTick, quietDawnPolling } from './dawn.ts'

// Function.prototype is native, nameless and takes no arguments: the shape of dawn.node's tick.
const nativeTick = Function.prototype as () => void

describe('isDawnTick', () => {
  it("knows dawn.node's tick by its shape", () => {
    expect(isDawnTick(nativeTick, [])).toBe(true)
  })
  it('leaves every other callback alone', () => {
    let resolve!: (v: unknown) => void
    void new Promise((r) => (resolve = r))
    expect(isDawnTick(() => {}, [])).toBe(false) // written in JavaScript
    expect(isDawnTick(function () {}, [])).toBe(false)
    expect(isDawnTick(resolve, [])).toBe(false) // a resolver takes one argument
    expect(isDawnTick(nativeTick.bind(null), [])).toBe(false) // "bound "
    expect(isDawnTick(nativeTick, [1])).toBe(false) // passed arguments
    expect(isDawnTick(Math.random, [])).toBe(false) // named
  })
})

describe('quietDawnPolling', () => {
  it("sends Dawn's ticks to a timer turn and everything else to setImmediate, once", async () => {
    const immediate = vi.fn(((fn: () => void) => setImmediate(fn)) as typeof setImmediate)
    const g = { setImmediate: immediate }
    quietDawnPolling(g)
    const wrapped = g.setImmediate
    quietDawnPolling(g)
    expect(g.setImmediate).toBe(wrapped)

    const js = vi.fn()
    g.setImmediate(js)
    expect(immediate).toHaveBeenCalledTimes(1)
    const timer = vi.spyOn(globalThis, 'setTimeout')
    try {
      g.setImmediate(nativeTick)
      expect(immediate).toHaveBeenCalledTimes(1)
      expect(timer).toHaveBeenCalledWith(nativeTick, 0)
    } finally {
      timer.mockRestore()
    }
    await new Promise((r) => setImmediate(r))
    expect(js).toHaveBeenCalledTimes(1)
  })
  it("keeps setImmediate's promisified form", async () => {
    const g = { setImmediate }
    quietDawnPolling(g)
    expect(g.setImmediate).not.toBe(setImmediate)
    await expect(promisify(g.setImmediate)('v')).resolves.toBe('v')
  })
})
