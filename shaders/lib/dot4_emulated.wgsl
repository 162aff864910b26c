// dot4(a, b): the dot product of two words of four packed signed bytes, exact in i32.
// Emulated path for adapters without packed_4x8_integer_dot_product: extractBits on i32
// sign-extends each byte; products and the sum are exact integers (|sum| <= 4 * 128 * 128).
fn dot4(a: u32, b: u32) -> i32 {
  let x = bitcast<i32>(a);
  let y = bitcast<i32>(b);
  let xa = vec4<i32>(extractBits(x, 0u, 8u), extractBits(x, 8u, 8u), extractBits(x, 16u, 8u), extractBits(x, 24u, 8u));
  let ya = vec4<i32>(extractBits(y, 0u, 8u), extractBits(y, 8u, 8u), extractBits(y, 16u, 8u), extractBits(y, 24u, 8u));
  return xa.x * ya.x + xa.y * ya.y + xa.z * ya.z + xa.w * ya.w;
}
