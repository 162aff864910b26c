// The registry: every module's kernels reach every backend with a trace entry, every tape rule reaches
// the tape, and the ONNX runtime runs exactly the modules' operators.
import { describe, expect, it } from 'vitest'
import { KERNELS, ONNX_OPS, OP_MODULES, TAPE_RULES } from './registry.ts'
import { cpuBackend } from '../train/cpu.ts'
import { f64Backend } from '../train/f64.ts'
import { Tape } from '../train/autograd.ts'
import { SUPPORTED_OPS } from '../infer/ops.ts'

describe('op registry', () => {
  it('finds every module, and gives each kernel all three backends and a trace entry', () => {
    expect(OP_MODULES.length).toBeGreaterThan(10)
    for (const k of KERNELS.values()) {
      for (const f of [k.cpu, k.gpu, k.f64, k.trace.record, k.trace.replay])
        expect(typeof f, k.name).toBe('function')
      for (const be of [cpuBackend, f64Backend]) expect(typeof (be as never)[k.name], k.name).toBe('function')
    }
  })

  it('binds every tape rule on a tape, and every ONNX operator is supported', () => {
    const tape = new Tape(cpuBackend)
    for (const name of TAPE_RULES.keys()) expect(typeof (tape as never)[name], name).toBe('function')
    expect([...SUPPORTED_OPS].sort()).toEqual([...ONNX_OPS.keys()].sort())
    for (const [name, op] of ONNX_OPS) expect(op.inputs[0] <= op.inputs[1], name).toBe(true)
  })
})
