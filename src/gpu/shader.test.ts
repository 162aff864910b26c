import { describe, expect, it } from 'vitest'
import matmul from '../../shaders/matmul.wgsl?raw'
import elementwise from '../../shaders/elementwise.wgsl?raw'
import quantize from '../../shaders/quantize.wgsl?raw'
import { KernelError } from '../errors/gpu.ts'
import { declarations, reachable, shader, withPrelude } from './shader.ts'

const library = declarations(`
// helper: mentions unused() only in this comment
fn callee(x: u32) -> u32 {
  return x + ONE;
}
const ONE: u32 = 1u;
/* a block comment naming Pair */
fn caller(x: u32) -> u32 {
  let p = Pair(x, 0u);
  return callee(p.a);
}
struct Pair {
  a: u32,
  b: u32,
}
alias Word = u32;
fn unused() -> Word {
  return caller(2u);
}
`)
const names = (root: string) => reachable(root, library).map((d) => d.name)

describe('the library walk', () => {
  it('splits a library into its declarations and what each names', () => {
    expect(library.map((d) => d.name)).toEqual(['callee', 'ONE', 'caller', 'Pair', 'Word', 'unused'])
    expect([...library[2].uses]).toEqual(expect.arrayContaining(['Pair', 'callee']))
    expect(library[0].uses.has('unused')).toBe(false) // comments do not count
  })

  it('gives a kernel the function it calls and its callees, in library order, nothing else', () => {
    expect(names('fn main() { let y = caller(3u); }')).toEqual(['callee', 'ONE', 'caller', 'Pair'])
    expect(names('fn main() { let y = callee(3u); }')).toEqual(['callee', 'ONE'])
    expect(names('fn main() -> Word { return 0u; }')).toEqual(['Word'])
  })

  it('leaves unknown identifiers and the kernel’s own declarations alone', () => {
    expect(names('fn main() { let y = mystery(1u) + ONE_MORE; }')).toEqual([])
    expect(names('const ONE: u32 = 7u;\nfn main() { let y = ONE; }')).toEqual([])
    expect(names('// caller\nfn main() {}')).toEqual([])
  })

  it('gives the real kernels what they call: quantize nothing, matmul no transcendentals', () => {
    const q = withPrelude(quantize, { nativeDot4: false })
    expect(q).toBe(quantize)
    const m = withPrelude(matmul, { nativeDot4: false })
    expect(m).toContain('fn dot4(')
    expect(m).toContain('fn i96_to_f32(')
    expect(m).toContain('fn sf_add(') // the epilogue's
    expect(m).not.toMatch(/fn (sf_exp|sf_log|sf_tanh|sf_gelu|sf_div|fx_)/)
    const e = withPrelude(elementwise, { nativeDot4: true })
    expect(e).toContain('fn sf_gelu_tanh(')
    expect(e).not.toMatch(/fn (fx_|dot4|i64_)/)
  })

  it('builds a kernel once per id and options, and refuses one id for two kernels', () => {
    const a = shader('test-walk', matmul, { nativeDot4: false })
    expect(shader('test-walk', matmul, { nativeDot4: false })).toBe(a)
    expect(shader('test-walk', matmul, { nativeDot4: true })).not.toBe(a)
    expect(a.code).toBe(withPrelude(matmul, { nativeDot4: false }))
    expect(() => shader('test-walk', elementwise, { nativeDot4: false })).toThrow(KernelError)
  })
})
