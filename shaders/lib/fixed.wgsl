// fixed: exact fixed-point accumulation of f32 values, for order-free sums.
// (filled in by the reductions work; see docs/determinism.md)
