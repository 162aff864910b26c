// wide: exact two's-complement integers wider than 32 bits — i64 as vec2<u32>(lo, hi) and i96 as
// vec3<u32>(lo, mid, hi) — and one correctly rounded conversion to f32. Integer steps only, so
// every adapter computes the same bits (docs/determinism.md).

// x * 2^s for 0 <= s < 32, as i64.
fn i64_shl(x: i32, s: u32) -> vec2<u32> {
  let hi = select(x >> 31u, x >> (32u - s), s > 0u);
  return vec2<u32>(bitcast<u32>(x) << s, bitcast<u32>(hi));
}

fn i64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn i96_add(a: vec3<u32>, b: vec3<u32>) -> vec3<u32> {
  let lo = a.x + b.x;
  let c0 = select(0u, 1u, lo < a.x);
  let mid0 = a.y + b.y;
  let c1 = select(0u, 1u, mid0 < a.y);
  let mid = mid0 + c0;
  let c2 = select(0u, 1u, mid < mid0);
  return vec3<u32>(lo, mid, a.z + b.z + c1 + c2);
}

// Unsigned v >> s for 0 <= s <= 96.
fn u96_shr(v: vec3<u32>, s: u32) -> vec3<u32> {
  var w = v;
  var k = s;
  if (k >= 96u) {
    return vec3<u32>(0u);
  }
  if (k >= 64u) {
    w = vec3<u32>(w.z, 0u, 0u);
    k -= 64u;
  } else if (k >= 32u) {
    w = vec3<u32>(w.y, w.z, 0u);
    k -= 32u;
  }
  if (k == 0u) {
    return w;
  }
  return vec3<u32>((w.x >> k) | (w.y << (32u - k)), (w.y >> k) | (w.z << (32u - k)), w.z >> k);
}

// Whether any of the lowest n bits (0 <= n <= 96) of v is set.
fn u96_low_any(v: vec3<u32>, n: u32) -> bool {
  let m0 = select(select((1u << n) - 1u, 0u, n == 0u), 0xffffffffu, n >= 32u);
  let n1 = select(n - 32u, 0u, n < 32u);
  let m1 = select(select((1u << n1) - 1u, 0u, n1 == 0u), 0xffffffffu, n1 >= 32u);
  let n2 = select(n - 64u, 0u, n < 64u);
  let m2 = select(select((1u << n2) - 1u, 0u, n2 == 0u), 0xffffffffu, n2 >= 32u);
  return ((v.x & m0) | (v.y & m1) | (v.z & m2)) != 0u;
}

// The f32 nearest (ties to even) to x * 2^e2 for a signed i96 x: subnormal results rounded at
// their own precision, overflow to infinity, exact zero to +0 — what IEEE 754 gives.
fn i96_to_f32(x: vec3<u32>, e2: i32) -> u32 {
  let neg = (x.z >> 31u) == 1u;
  var mag = x;
  if (neg) {
    mag = i96_add(~x, vec3<u32>(1u, 0u, 0u));
  }
  let sign = select(0u, 0x80000000u, neg);
  if ((mag.x | mag.y | mag.z) == 0u) {
    return 0u;
  }
  var clz = countLeadingZeros(mag.z);
  if (mag.z == 0u) {
    clz = 32u + countLeadingZeros(mag.y);
    if (mag.y == 0u) {
      clz = 64u + countLeadingZeros(mag.x);
    }
  }
  let len = 96i - i32(clz);
  // Bits to drop: keep 24 significant bits, or fewer where the result is subnormal.
  var s = max(len - 24i, -149i - e2);
  var m: u32;
  if (s <= 0i) {
    m = mag.x << u32(-s); // len <= 24 here: the value sits in mag.x and stays below 2^24
  } else if (s > len) {
    return sign; // below half the smallest subnormal
  } else {
    let q = u96_shr(mag, u32(s)).x;
    let round_bit = (u96_shr(mag, u32(s) - 1u).x & 1u) == 1u;
    let sticky = u96_low_any(mag, u32(s) - 1u);
    m = q + select(0u, 1u, round_bit && (sticky || (q & 1u) == 1u));
  }
  if (m == 0x1000000u) {
    m = 0x800000u;
    s += 1i;
  }
  if (m < 0x800000u) {
    return sign | m; // subnormal (or zero): its exponent is -149 by construction
  }
  let biased = e2 + s + 23i + 127i;
  if (biased >= 255i) {
    return sign | 0x7f800000u;
  }
  return sign | (u32(biased) << 23u) | (m & 0x7fffffu);
}
