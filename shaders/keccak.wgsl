// keccak256 as Ethereum (and viem) computes it: Keccak-f[1600], rate 136 bytes, padding 0x01 … 0x80.
// Several messages at once, one invocation each (a sponge is serial: block b needs block b - 1), four
// to a workgroup (the SIMD width of CPU rasterisers; a GPU has threads to spare).
// A message is `prefix` bytes from the job table followed by whole u32 words of `words`, read as
// little-endian bytes: a tensor leaf is name ‖ 0 ‖ rank ‖ dims, then the f32 values; the state hash
// is "lockstep/state/v1" ‖ step, then the leaves (src/train/state.ts). 64-bit lanes are vec2<u32>
// (x = low word), since WGSL has no u64. Integer arithmetic only: every adapter gives the same bits.
//
// The job table (src/kernels/keccak.ts packs it): jobs[0] = count, then 8 words per job (JOB_WORDS),
// then the prefixes' bytes, zero-padded to whole words.
struct Job {
  prefix_word: u32, // where the prefix starts in `jobs`, in words
  prefix_len: u32, // in bytes
  data_word: u32, // where the data starts in `words`
  data_words: u32,
  out_word: u32, // where the 8 digest words go in `digests`
}

const JOB_WORDS: u32 = 8u;

@group(0) @binding(0) var<storage, read> jobs: array<u32>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> digests: array<u32>;

fn job_at(i: u32) -> Job {
  let b = 1u + i * JOB_WORDS;
  return Job(jobs[b], jobs[b + 1u], jobs[b + 2u], jobs[b + 3u], jobs[b + 4u]);
}

// The message's word k (bytes 4k..4k+3, little-endian), or 0 past its end. After the prefix's whole
// words, the stream is the prefix's last r = len % 4 bytes followed by the data, so when r != 0 every
// word straddles two data words: a funnel shift of the previous and the current one.
fn message_word(j: Job, k: u32) -> u32 {
  let len = j.prefix_len + 4u * j.data_words;
  if (4u * k >= len) {
    return 0u;
  }
  let q = j.prefix_len / 4u;
  let r = j.prefix_len % 4u;
  if (k < q) {
    return jobs[j.prefix_word + k];
  }
  let i = k - q;
  var cur = 0u;
  if (i < j.data_words) {
    cur = words[j.data_word + i];
  }
  if (r == 0u) {
    return cur;
  }
  let s = 8u * r;
  var prev: u32;
  if (i == 0u) {
    prev = jobs[j.prefix_word + q] << (32u - s); // the prefix's tail, zero-padded above
  } else {
    prev = words[j.data_word + i - 1u];
  }
  return (prev >> (32u - s)) | (cur << s);
}

const RC = array<vec2<u32>, 24>(
  vec2<u32>(0x00000001u, 0x00000000u), vec2<u32>(0x00008082u, 0x00000000u),
  vec2<u32>(0x0000808au, 0x80000000u), vec2<u32>(0x80008000u, 0x80000000u),
  vec2<u32>(0x0000808bu, 0x00000000u), vec2<u32>(0x80000001u, 0x00000000u),
  vec2<u32>(0x80008081u, 0x80000000u), vec2<u32>(0x00008009u, 0x80000000u),
  vec2<u32>(0x0000008au, 0x00000000u), vec2<u32>(0x00000088u, 0x00000000u),
  vec2<u32>(0x80008009u, 0x00000000u), vec2<u32>(0x8000000au, 0x00000000u),
  vec2<u32>(0x8000808bu, 0x00000000u), vec2<u32>(0x0000008bu, 0x80000000u),
  vec2<u32>(0x00008089u, 0x80000000u), vec2<u32>(0x00008003u, 0x80000000u),
  vec2<u32>(0x00008002u, 0x80000000u), vec2<u32>(0x00000080u, 0x80000000u),
  vec2<u32>(0x0000800au, 0x00000000u), vec2<u32>(0x8000000au, 0x80000000u),
  vec2<u32>(0x80008081u, 0x80000000u), vec2<u32>(0x00008080u, 0x80000000u),
  vec2<u32>(0x80000001u, 0x00000000u), vec2<u32>(0x80008008u, 0x80000000u),
);

// Rotate left by n, 0 < n < 32; by 32 < n < 64, swap the halves first (rotl_hi).
fn rotl(v: vec2<u32>, n: u32) -> vec2<u32> {
  return vec2<u32>((v.x << n) | (v.y >> (32u - n)), (v.y << n) | (v.x >> (32u - n)));
}

fn rotl_hi(v: vec2<u32>, n: u32) -> vec2<u32> {
  return rotl(v.yx, n - 32u);
}

// Word k of the padded message: the message's word, with 0x01 after its last byte and 0x80 in the
// last byte of the final block (`last` = that block's last word).
fn padded_word(j: Job, len: u32, last: u32, k: u32) -> u32 {
  var w = message_word(j, k);
  if (k == len / 4u) {
    w ^= 1u << (8u * (len % 4u));
  }
  if (k == last) {
    w ^= 0x80000000u;
  }
  return w;
}

// The permutation is written out lane by lane on 25 locals (lane x + 5y is a<x + 5y>): with constant
// indices every lane stays in registers, where an indexed array would live in memory on most compilers.
@compute @workgroup_size(4)
fn keccak256(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= jobs[0]) {
    return;
  }
  let j = job_at(gid.x);
  let len = j.prefix_len + 4u * j.data_words;
  // len / 136 full blocks, then the last: the rest of the message (maybe none) and the padding.
  let blocks = len / 136u + 1u;
  let last = 34u * blocks - 1u;
  var a0 = vec2<u32>(0u); var a1 = vec2<u32>(0u); var a2 = vec2<u32>(0u); var a3 = vec2<u32>(0u); var a4 = vec2<u32>(0u);
  var a5 = vec2<u32>(0u); var a6 = vec2<u32>(0u); var a7 = vec2<u32>(0u); var a8 = vec2<u32>(0u); var a9 = vec2<u32>(0u);
  var a10 = vec2<u32>(0u); var a11 = vec2<u32>(0u); var a12 = vec2<u32>(0u); var a13 = vec2<u32>(0u); var a14 = vec2<u32>(0u);
  var a15 = vec2<u32>(0u); var a16 = vec2<u32>(0u); var a17 = vec2<u32>(0u); var a18 = vec2<u32>(0u); var a19 = vec2<u32>(0u);
  var a20 = vec2<u32>(0u); var a21 = vec2<u32>(0u); var a22 = vec2<u32>(0u); var a23 = vec2<u32>(0u); var a24 = vec2<u32>(0u);
  for (var blk = 0u; blk < blocks; blk++) {
    let base = 34u * blk;
    a0 ^= vec2<u32>(padded_word(j, len, last, base + 0u), padded_word(j, len, last, base + 1u));
    a1 ^= vec2<u32>(padded_word(j, len, last, base + 2u), padded_word(j, len, last, base + 3u));
    a2 ^= vec2<u32>(padded_word(j, len, last, base + 4u), padded_word(j, len, last, base + 5u));
    a3 ^= vec2<u32>(padded_word(j, len, last, base + 6u), padded_word(j, len, last, base + 7u));
    a4 ^= vec2<u32>(padded_word(j, len, last, base + 8u), padded_word(j, len, last, base + 9u));
    a5 ^= vec2<u32>(padded_word(j, len, last, base + 10u), padded_word(j, len, last, base + 11u));
    a6 ^= vec2<u32>(padded_word(j, len, last, base + 12u), padded_word(j, len, last, base + 13u));
    a7 ^= vec2<u32>(padded_word(j, len, last, base + 14u), padded_word(j, len, last, base + 15u));
    a8 ^= vec2<u32>(padded_word(j, len, last, base + 16u), padded_word(j, len, last, base + 17u));
    a9 ^= vec2<u32>(padded_word(j, len, last, base + 18u), padded_word(j, len, last, base + 19u));
    a10 ^= vec2<u32>(padded_word(j, len, last, base + 20u), padded_word(j, len, last, base + 21u));
    a11 ^= vec2<u32>(padded_word(j, len, last, base + 22u), padded_word(j, len, last, base + 23u));
    a12 ^= vec2<u32>(padded_word(j, len, last, base + 24u), padded_word(j, len, last, base + 25u));
    a13 ^= vec2<u32>(padded_word(j, len, last, base + 26u), padded_word(j, len, last, base + 27u));
    a14 ^= vec2<u32>(padded_word(j, len, last, base + 28u), padded_word(j, len, last, base + 29u));
    a15 ^= vec2<u32>(padded_word(j, len, last, base + 30u), padded_word(j, len, last, base + 31u));
    a16 ^= vec2<u32>(padded_word(j, len, last, base + 32u), padded_word(j, len, last, base + 33u));
    for (var round = 0u; round < 24u; round++) {
      // theta
      let c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
      let c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
      let c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
      let c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
      let c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
      let d0 = c4 ^ rotl(c1, 1u);
      let d1 = c0 ^ rotl(c2, 1u);
      let d2 = c1 ^ rotl(c3, 1u);
      let d3 = c2 ^ rotl(c4, 1u);
      let d4 = c3 ^ rotl(c0, 1u);
      a0 ^= d0; a1 ^= d1; a2 ^= d2; a3 ^= d3; a4 ^= d4;
      a5 ^= d0; a6 ^= d1; a7 ^= d2; a8 ^= d3; a9 ^= d4;
      a10 ^= d0; a11 ^= d1; a12 ^= d2; a13 ^= d3; a14 ^= d4;
      a15 ^= d0; a16 ^= d1; a17 ^= d2; a18 ^= d3; a19 ^= d4;
      a20 ^= d0; a21 ^= d1; a22 ^= d2; a23 ^= d3; a24 ^= d4;
      // rho and pi: lane (x, y) rotated into lane (y, 2x + 3y)
      let b0 = a0;
      let b1 = rotl_hi(a6, 44u);
      let b2 = rotl_hi(a12, 43u);
      let b3 = rotl(a18, 21u);
      let b4 = rotl(a24, 14u);
      let b5 = rotl(a3, 28u);
      let b6 = rotl(a9, 20u);
      let b7 = rotl(a10, 3u);
      let b8 = rotl_hi(a16, 45u);
      let b9 = rotl_hi(a22, 61u);
      let b10 = rotl(a1, 1u);
      let b11 = rotl(a7, 6u);
      let b12 = rotl(a13, 25u);
      let b13 = rotl(a19, 8u);
      let b14 = rotl(a20, 18u);
      let b15 = rotl(a4, 27u);
      let b16 = rotl_hi(a5, 36u);
      let b17 = rotl(a11, 10u);
      let b18 = rotl(a17, 15u);
      let b19 = rotl_hi(a23, 56u);
      let b20 = rotl_hi(a2, 62u);
      let b21 = rotl_hi(a8, 55u);
      let b22 = rotl_hi(a14, 39u);
      let b23 = rotl_hi(a15, 41u);
      let b24 = rotl(a21, 2u);
      // chi
      a0 = b0 ^ (~b1 & b2);
      a1 = b1 ^ (~b2 & b3);
      a2 = b2 ^ (~b3 & b4);
      a3 = b3 ^ (~b4 & b0);
      a4 = b4 ^ (~b0 & b1);
      a5 = b5 ^ (~b6 & b7);
      a6 = b6 ^ (~b7 & b8);
      a7 = b7 ^ (~b8 & b9);
      a8 = b8 ^ (~b9 & b5);
      a9 = b9 ^ (~b5 & b6);
      a10 = b10 ^ (~b11 & b12);
      a11 = b11 ^ (~b12 & b13);
      a12 = b12 ^ (~b13 & b14);
      a13 = b13 ^ (~b14 & b10);
      a14 = b14 ^ (~b10 & b11);
      a15 = b15 ^ (~b16 & b17);
      a16 = b16 ^ (~b17 & b18);
      a17 = b17 ^ (~b18 & b19);
      a18 = b18 ^ (~b19 & b15);
      a19 = b19 ^ (~b15 & b16);
      a20 = b20 ^ (~b21 & b22);
      a21 = b21 ^ (~b22 & b23);
      a22 = b22 ^ (~b23 & b24);
      a23 = b23 ^ (~b24 & b20);
      a24 = b24 ^ (~b20 & b21);
      // iota
      a0 ^= RC[round];
    }
  }
  // The digest: the first 32 bytes of the state, lanes 0 to 3.
  let o = j.out_word;
  digests[o] = a0.x; digests[o + 1u] = a0.y; digests[o + 2u] = a1.x; digests[o + 3u] = a1.y;
  digests[o + 4u] = a2.x; digests[o + 5u] = a2.y; digests[o + 6u] = a3.x; digests[o + 7u] = a3.y;
}
