;; keccak256's permutation (Keccak-f[1600]) and sponge in WebAssembly: the CPU's hash of training
;; state (src/train/state.ts) and receipts, ~20× faster than the JavaScript keccak it stands in for,
;; with the same bits (src/util/keccak.test.ts checks both against each other and against vectors).
;; The compact form of the reference implementation (the Keccak team's, as in tiny-keccak): θ, then
;; ρ and π in one walk of the lanes, χ, ι. Lanes are little-endian i64, as the standard specifies.
;;
;; Memory: the state A[25] at 0, θ's column parities C[5] at 200, round constants at 256, ρ's
;; rotations at 448 and π's lane order at 480 (bytes); input blocks from 1024 (keccak.ts copies them).
(module
  (memory (export "memory") 1)
  (data (i32.const 256) "\01\00\00\00\00\00\00\00\82\80\00\00\00\00\00\00\8a\80\00\00\00\00\00\80\00\80\00\80\00\00\00\80\8b\80\00\00\00\00\00\00\01\00\00\80\00\00\00\00\81\80\00\80\00\00\00\80\09\80\00\00\00\00\00\80\8a\00\00\00\00\00\00\00\88\00\00\00\00\00\00\00\09\80\00\80\00\00\00\00\0a\00\00\80\00\00\00\00\8b\80\00\80\00\00\00\00\8b\00\00\00\00\00\00\80\89\80\00\00\00\00\00\80\03\80\00\00\00\00\00\80\02\80\00\00\00\00\00\80\80\00\00\00\00\00\00\80\0a\80\00\00\00\00\00\00\0a\00\00\80\00\00\00\80\81\80\00\80\00\00\00\80\80\80\00\00\00\00\00\80\01\00\00\80\00\00\00\00\08\80\00\80\00\00\00\80")
  (data (i32.const 448) "\01\03\06\0a\0f\15\1c\24\2d\37\02\0e\1b\29\38\08\19\2b\3e\12\27\3d\14\2c")
  (data (i32.const 480) "\0a\07\0b\11\12\03\05\10\08\15\18\04\0f\17\13\0d\0c\02\14\0e\16\09\06\01")

  (func $permute
    (local $round i32) (local $x i32) (local $y i32) (local $i i32) (local $j i32)
    (local $d i64) (local $t i64) (local $tmp i64)
    (local $c0 i64) (local $c1 i64) (local $c2 i64) (local $c3 i64) (local $c4 i64)
    (loop $rounds
      ;; θ: C[x] = parity of column x; A[x + 5y] ^= C[x - 1] ^ rotl(C[x + 1], 1)
      (local.set $x (i32.const 0))
      (loop $columns
        (i64.store offset=200 (i32.shl (local.get $x) (i32.const 3))
          (i64.xor
            (i64.xor
              (i64.xor (i64.load (i32.shl (local.get $x) (i32.const 3)))
                       (i64.load offset=40 (i32.shl (local.get $x) (i32.const 3))))
              (i64.xor (i64.load offset=80 (i32.shl (local.get $x) (i32.const 3)))
                       (i64.load offset=120 (i32.shl (local.get $x) (i32.const 3)))))
            (i64.load offset=160 (i32.shl (local.get $x) (i32.const 3)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $columns (i32.lt_u (local.get $x) (i32.const 5))))
      (local.set $x (i32.const 0))
      (loop $mix
        (local.set $d
          (i64.xor
            (i64.load offset=200 (i32.shl (i32.rem_u (i32.add (local.get $x) (i32.const 4)) (i32.const 5)) (i32.const 3)))
            (i64.rotl
              (i64.load offset=200 (i32.shl (i32.rem_u (i32.add (local.get $x) (i32.const 1)) (i32.const 5)) (i32.const 3)))
              (i64.const 1))))
        (local.set $y (i32.shl (local.get $x) (i32.const 3)))
        (loop $rows
          (i64.store (local.get $y) (i64.xor (i64.load (local.get $y)) (local.get $d)))
          (local.set $y (i32.add (local.get $y) (i32.const 40)))
          (br_if $rows (i32.lt_u (local.get $y) (i32.const 200))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $mix (i32.lt_u (local.get $x) (i32.const 5))))
      ;; ρ and π: walk the 24 lanes after A[0] in π's order, rotating each by ρ's amount
      (local.set $t (i64.load offset=8 (i32.const 0)))
      (local.set $i (i32.const 0))
      (loop $walk
        (local.set $j (i32.shl (i32.load8_u offset=480 (local.get $i)) (i32.const 3)))
        (local.set $tmp (i64.load (local.get $j)))
        (i64.store (local.get $j) (i64.rotl (local.get $t) (i64.extend_i32_u (i32.load8_u offset=448 (local.get $i)))))
        (local.set $t (local.get $tmp))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $walk (i32.lt_u (local.get $i) (i32.const 24))))
      ;; χ: A[x] ^= ~A[x + 1] & A[x + 2] within each row of five lanes
      (local.set $y (i32.const 0))
      (loop $chi
        (local.set $c0 (i64.load (local.get $y)))
        (local.set $c1 (i64.load offset=8 (local.get $y)))
        (local.set $c2 (i64.load offset=16 (local.get $y)))
        (local.set $c3 (i64.load offset=24 (local.get $y)))
        (local.set $c4 (i64.load offset=32 (local.get $y)))
        (i64.store (local.get $y) (i64.xor (local.get $c0) (i64.and (i64.xor (local.get $c1) (i64.const -1)) (local.get $c2))))
        (i64.store offset=8 (local.get $y) (i64.xor (local.get $c1) (i64.and (i64.xor (local.get $c2) (i64.const -1)) (local.get $c3))))
        (i64.store offset=16 (local.get $y) (i64.xor (local.get $c2) (i64.and (i64.xor (local.get $c3) (i64.const -1)) (local.get $c4))))
        (i64.store offset=24 (local.get $y) (i64.xor (local.get $c3) (i64.and (i64.xor (local.get $c4) (i64.const -1)) (local.get $c0))))
        (i64.store offset=32 (local.get $y) (i64.xor (local.get $c4) (i64.and (i64.xor (local.get $c0) (i64.const -1)) (local.get $c1))))
        (local.set $y (i32.add (local.get $y) (i32.const 40)))
        (br_if $chi (i32.lt_u (local.get $y) (i32.const 200))))
      ;; ι
      (i64.store (i32.const 0)
        (i64.xor (i64.load (i32.const 0)) (i64.load offset=256 (i32.shl (local.get $round) (i32.const 3)))))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 24)))))

  ;; Clears the state for a new hash.
  (func (export "reset")
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 200)))

  ;; Absorbs `blocks` blocks of 136 bytes (keccak256's rate) starting at byte `p`.
  (func (export "absorb") (param $p i32) (param $blocks i32)
    (local $lane i32)
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $blocks)))
        (local.set $lane (i32.const 0))
        (loop $xor
          (i64.store (local.get $lane)
            (i64.xor (i64.load (local.get $lane)) (i64.load (i32.add (local.get $p) (local.get $lane)))))
          (local.set $lane (i32.add (local.get $lane) (i32.const 8)))
          (br_if $xor (i32.lt_u (local.get $lane) (i32.const 136))))
        (call $permute)
        (local.set $p (i32.add (local.get $p) (i32.const 136)))
        (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
        (br $block)))))
