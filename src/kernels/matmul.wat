;; The CPU reference's matmul inner loops in WebAssembly SIMD (matmul.ts, matmulRef). Same integers,
;; same rounding as the JavaScript loop it replaces, about ten times faster: i32x4.dot_i16x8_s forms
;; hiA·qB + loA·hiB for four k at once, which is the shader's per-k term (shaders/matmul.wgsl).
;;
;; Layout (byte offsets chosen by matmul.ts; every vector holds whole blocks of 32 k, zero-padded):
;;   a      one A vector: per k the i16 pair (hiA, loA)          128 bytes per block
;;   b      n B vectors:  per k the i16 pair (qB, hiB)           128 bytes per block
;;   ea     A's exps: Emax (or -1 = NONFINITE), then one offset per block (i32)
;;   eb     B's exps: blocks + 1 i32 per vector
;;   shift  f64[25]: 2^s;   scale  f64[510]: 2^(t - 296)
;; For each of the n outputs: the block sums, each exact in i32 (|s| < 2^26), scaled by 2^(oA + oB)
;; and added in f64; while Σ|terms| < 2^52 every partial sum is an exact integer, and the output is
;; acc · 2^(EmaxA + EmaxB - 296) rounded once to f32 (f32.demote_f64 rounds to nearest, ties to even).
;; Otherwise the output's flag is set and matmul.ts adds the block sums in BigInt.
(module
  (memory (export "memory") 1)
  (func (export "row")
    (param $a i32) (param $b i32) (param $ea i32) (param $eb i32) (param $shift i32) (param $scale i32)
    (param $out i32) (param $flags i32) (param $n i32) (param $blocks i32)
    (local $c i32) (local $blk i32) (local $pa i32) (local $pb i32) (local $ebc i32)
    (local $topA i32) (local $topB i32) (local $v v128) (local $x f64) (local $acc f64) (local $bound f64)
    (local.set $topA (i32.load (local.get $ea)))
    (block $done
      (loop $column
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $ebc
          (i32.add (local.get $eb)
            (i32.mul (local.get $c) (i32.shl (i32.add (local.get $blocks) (i32.const 1)) (i32.const 2)))))
        (local.set $topB (i32.load (local.get $ebc)))
        (i32.store8 (i32.add (local.get $flags) (local.get $c)) (i32.const 0))
        (if (i32.or (i32.eq (local.get $topA) (i32.const -1)) (i32.eq (local.get $topB) (i32.const -1)))
          (then
            ;; a NaN or infinity in either vector: the canonical NaN
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (i32.const 0x7fc00000)))
          (else
            (local.set $acc (f64.const 0))
            (local.set $bound (f64.const 0))
            (local.set $pa (local.get $a))
            (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $c) (i32.shl (local.get $blocks) (i32.const 7)))))
            (local.set $blk (i32.const 0))
            (loop $block
              (local.set $v (i32x4.dot_i16x8_s (v128.load (local.get $pa)) (v128.load (local.get $pb))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=64 (local.get $pa)) (v128.load offset=64 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=80 (local.get $pa)) (v128.load offset=80 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=96 (local.get $pa)) (v128.load offset=96 (local.get $pb)))))
              (local.set $v (i32x4.add (local.get $v)
                (i32x4.dot_i16x8_s (v128.load offset=112 (local.get $pa)) (v128.load offset=112 (local.get $pb)))))
              ;; the block sum, scaled by 2^(oA_j + oB_j)
              (local.set $x
                (f64.mul
                  (f64.convert_i32_s
                    (i32.add
                      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
                      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
                  (f64.load
                    (i32.add (local.get $shift)
                      (i32.shl
                        (i32.add
                          (i32.load offset=4 (i32.add (local.get $ea) (i32.shl (local.get $blk) (i32.const 2))))
                          (i32.load offset=4 (i32.add (local.get $ebc) (i32.shl (local.get $blk) (i32.const 2)))))
                        (i32.const 3))))))
              (local.set $acc (f64.add (local.get $acc) (local.get $x)))
              (local.set $bound (f64.add (local.get $bound) (f64.abs (local.get $x))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 128)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
              (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
              (br_if $block (i32.lt_u (local.get $blk) (local.get $blocks))))
            (if (f64.lt (local.get $bound) (f64.const 0x1p52))
              (then
                (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                  (f32.demote_f64
                    (f64.mul (local.get $acc)
                      (f64.load
                        (i32.add (local.get $scale)
                          (i32.shl (i32.add (local.get $topA) (local.get $topB)) (i32.const 3))))))))
              (else
                (i32.store8 (i32.add (local.get $flags) (local.get $c)) (i32.const 1))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $column)))))
