// The in-memory net against the SwarmNet conformance suite (the libp2p one runs it too), on virtual time.
import { expect, it } from 'vitest'
import { realClock } from '../protocol/clock.ts'
import { swarmNetConformance } from '../netConformance.ts'
import { VirtualClock } from './clock.ts'
import { MemoryNetwork } from './memnet.ts'

swarmNetConformance('MemoryNet', async () => {
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ latencyMs: 5, jitterMs: 5, bytesPerMs: 1000, clock })
  const nets = ['a', 'b', 'c'].map((id) => network.join(id))
  return {
    nets: [nets[0], nets[1], nets[2]],
    stranger: 'nobody',
    leave: async (net) => network.leave(net.self),
    eventually: (cond, what) => clock.until(cond, 60_000, what),
    close: async () => {},
  }
})

it('runs on the real clock unless given one (teach mode on the page passes none)', () => {
  expect(new MemoryNetwork({ clock: undefined }).options.clock).toBe(realClock)
})
