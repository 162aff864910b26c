// softfloat: IEEE 754 binary32 arithmetic on bit patterns (u32), built from integer operations only.
// (filled in by the softfloat work; see docs/determinism.md)
