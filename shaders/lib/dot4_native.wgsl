// dot4(a, b): the dot product of two words of four packed signed bytes, exact in i32.
// Native path: WGSL's dot4I8Packed (language feature packed_4x8_integer_dot_product).
fn dot4(a: u32, b: u32) -> i32 {
  return dot4I8Packed(a, b);
}
