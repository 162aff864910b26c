// keccak256 as Ethereum (and viem) computes it: Keccak-f[1600], rate 136 bytes, padding 0x01 … 0x80.
// Several messages at once, one invocation each (a sponge is serial: block b needs block b - 1).
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

// Rotate left by n, 0 < n < 32; rotations by 32 < n < 64 swap the halves first (rotl_hi).
fn rotl(v: vec2<u32>, n: u32) -> vec2<u32> {
  return vec2<u32>((v.x << n) | (v.y >> (32u - n)), (v.y << n) | (v.x >> (32u - n)));
}

fn rotl_hi(v: vec2<u32>, n: u32) -> vec2<u32> {
  return rotl(v.yx, n - 32u);
}

fn keccak_f(a: ptr<function, array<vec2<u32>, 25>>) {
  var c: array<vec2<u32>, 5>;
  for (var round = 0u; round < 24u; round++) {
    // theta
    for (var x = 0u; x < 5u; x++) {
      c[x] = (*a)[x] ^ (*a)[x + 5u] ^ (*a)[x + 10u] ^ (*a)[x + 15u] ^ (*a)[x + 20u];
    }
    for (var x = 0u; x < 5u; x++) {
      let d = c[(x + 4u) % 5u] ^ rotl(c[(x + 1u) % 5u], 1u);
      for (var y = 0u; y < 25u; y += 5u) {
        (*a)[y + x] ^= d;
      }
    }
    // rho and pi, along the cycle of pi starting at lane 1
    var t = (*a)[1];
    var b: vec2<u32>;
    b = (*a)[10]; (*a)[10] = rotl(t, 1u); t = b;
    b = (*a)[7]; (*a)[7] = rotl(t, 3u); t = b;
    b = (*a)[11]; (*a)[11] = rotl(t, 6u); t = b;
    b = (*a)[17]; (*a)[17] = rotl(t, 10u); t = b;
    b = (*a)[18]; (*a)[18] = rotl(t, 15u); t = b;
    b = (*a)[3]; (*a)[3] = rotl(t, 21u); t = b;
    b = (*a)[5]; (*a)[5] = rotl(t, 28u); t = b;
    b = (*a)[16]; (*a)[16] = rotl_hi(t, 36u); t = b;
    b = (*a)[8]; (*a)[8] = rotl_hi(t, 45u); t = b;
    b = (*a)[21]; (*a)[21] = rotl_hi(t, 55u); t = b;
    b = (*a)[24]; (*a)[24] = rotl(t, 2u); t = b;
    b = (*a)[4]; (*a)[4] = rotl(t, 14u); t = b;
    b = (*a)[15]; (*a)[15] = rotl(t, 27u); t = b;
    b = (*a)[23]; (*a)[23] = rotl_hi(t, 41u); t = b;
    b = (*a)[19]; (*a)[19] = rotl_hi(t, 56u); t = b;
    b = (*a)[13]; (*a)[13] = rotl(t, 8u); t = b;
    b = (*a)[12]; (*a)[12] = rotl(t, 25u); t = b;
    b = (*a)[2]; (*a)[2] = rotl_hi(t, 43u); t = b;
    b = (*a)[20]; (*a)[20] = rotl_hi(t, 62u); t = b;
    b = (*a)[14]; (*a)[14] = rotl(t, 18u); t = b;
    b = (*a)[22]; (*a)[22] = rotl_hi(t, 39u); t = b;
    b = (*a)[9]; (*a)[9] = rotl_hi(t, 61u); t = b;
    b = (*a)[6]; (*a)[6] = rotl(t, 20u); t = b;
    (*a)[1] = rotl_hi(t, 44u);
    // chi
    for (var y = 0u; y < 25u; y += 5u) {
      for (var x = 0u; x < 5u; x++) {
        c[x] = (*a)[y + x];
      }
      for (var x = 0u; x < 5u; x++) {
        (*a)[y + x] = c[x] ^ (~c[(x + 1u) % 5u] & c[(x + 2u) % 5u]);
      }
    }
    // iota
    (*a)[0] ^= RC[round];
  }
}

@compute @workgroup_size(1)
fn keccak256(@builtin(workgroup_id) wid: vec3<u32>) {
  if (wid.x >= jobs[0]) {
    return;
  }
  let j = job_at(wid.x);
  let len = j.prefix_len + 4u * j.data_words;
  var a: array<vec2<u32>, 25>;
  // len / 136 full blocks, then the last, partly (or not at all) message and always padded.
  let blocks = len / 136u + 1u;
  for (var blk = 0u; blk < blocks; blk++) {
    let base = blk * 34u;
    for (var l = 0u; l < 17u; l++) {
      a[l] ^= vec2<u32>(message_word(j, base + 2u * l), message_word(j, base + 2u * l + 1u));
    }
    if (blk + 1u == blocks) {
      let p = len - blk * 136u; // the first byte after the message, within this block
      let bit = 1u << (8u * (p % 4u));
      if ((p % 8u) < 4u) {
        a[p / 8u].x ^= bit;
      } else {
        a[p / 8u].y ^= bit;
      }
      a[16].y ^= 0x80000000u; // byte 135
    }
    keccak_f(&a);
  }
  for (var l = 0u; l < 4u; l++) {
    digests[j.out_word + 2u * l] = a[l].x;
    digests[j.out_word + 2u * l + 1u] = a[l].y;
  }
}
