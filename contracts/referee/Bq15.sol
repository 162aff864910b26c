// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";

/// One output element of the bq15 matmul (src/kernels/matmul.ts, quantize.ts): a row of A and a column
/// of B, each quantised as shaders/quantize.wgsl does it (blocks of 32 sharing an exponent at most SPAN
/// binades below the vector's largest, values rounded to 15-bit integers q = hi·256 + lo), the integer
/// products Σ 256·hi·hi + hi·lo + lo·hi per block (the lo·lo term is never formed, on any backend)
/// shifted by the block offsets and added exactly, then rounded once: roundScaledToF32 (src/kernels/wide.ts).
library Bq15 {
    uint256 internal constant BLOCK = 32;
    uint256 internal constant SPAN = 12;
    uint256 internal constant MAX_K = 65536;
    /// 272 + 2·SPAN: the scale of the block sums is 2^(EmaxA + EmaxB - SCALE_BIAS).
    int256 internal constant SCALE_BIAS = 296;

    error BadK(uint256 rowLength, uint256 columnLength);

    /// A vector's quantisation scale: Emax, and per block its exponent field e_j (offset o_j = e_j + SPAN - Emax).
    /// The lanes themselves are formed on the fly in `dot`, so no per-element memory is spent.
    struct Scales {
        uint256 emax;
        bool finite;
        uint256[] blockExps;
    }

    function scales(uint32[] memory u) internal pure returns (Scales memory v) {
        uint256 k = u.length;
        uint256 top;
        for (uint256 i = 0; i < k; i++) if (u[i] & F32.ABS > top) top = u[i] & F32.ABS;
        v.emax = top >> 23 > 1 ? top >> 23 : 1;
        v.finite = top < F32.INF;
        if (!v.finite) return v;
        uint256 floorE = v.emax > SPAN ? v.emax - SPAN : 1;
        v.blockExps = new uint256[]((k + BLOCK - 1) / BLOCK);
        for (uint256 blk = 0; blk < v.blockExps.length; blk++) {
            uint256 end = k < (blk + 1) * BLOCK ? k : (blk + 1) * BLOCK;
            uint256 bmax;
            for (uint256 i = blk * BLOCK; i < end; i++) if (u[i] & F32.ABS > bmax) bmax = u[i] & F32.ABS;
            v.blockExps[blk] = bmax >> 23 > floorE ? bmax >> 23 : floorE;
        }
    }

    /// x as q = hi·256 + lo at its block's exponent: q = RNE(significand / 2^(eBlock - e + 10)).
    function lane(uint32 x, uint256 eBlock) private pure returns (int256 hi, int256 lo) {
        uint256 e = (x >> 23) & 0xff;
        uint256 m = e == 0 ? x & 0x7fffff : (x & 0x7fffff) | 0x800000;
        int256 q = int256(rneShift(m, eBlock - (e == 0 ? 1 : e) + 10));
        if (x & F32.SIGN != 0) q = -q;
        hi = (q + 128) >> 8; // arithmetic shift: floor, as the shader's i32 >> does
        lo = q - hi * 256;
    }

    /// RNE(m / 2^s) for m < 2^24 and s >= 1.
    function rneShift(uint256 m, uint256 s) private pure returns (uint256 q) {
        if (s > 24) return 0;
        q = m >> s;
        uint256 rem = m & ((1 << s) - 1);
        uint256 half = 1 << (s - 1);
        if (rem > half || (rem == half && q & 1 == 1)) q++;
    }

    /// C[r][c] from row r of A and column c of B (both K long, in K order).
    function dot(uint32[] memory row, uint32[] memory column) internal pure returns (uint32) {
        if (row.length != column.length || row.length == 0 || row.length > MAX_K) {
            revert BadK(row.length, column.length);
        }
        Scales memory a = scales(row);
        Scales memory b = scales(column);
        if (!a.finite || !b.finite) return F32.NAN;
        int256 acc;
        for (uint256 blk = 0; blk < a.blockExps.length; blk++) {
            acc += blockSum(row, column, blk, a.blockExps[blk], b.blockExps[blk]) << (a.blockExps[blk] + b.blockExps[blk] + 2 * SPAN - a.emax - b.emax);
        }
        if (acc == 0) return 0; // roundScaledToF32 gives +0 for an exact zero
        bool neg = acc < 0;
        return F32.round(neg, uint256(neg ? -acc : acc), int256(a.emax + b.emax) - SCALE_BIAS, false);
    }

    /// Σ 256·hiA·hiB + hiA·loB + loA·hiB over one block: |sum| < 2^26, as in the shader's i32.
    function blockSum(uint32[] memory row, uint32[] memory column, uint256 blk, uint256 ea, uint256 eb)
        private
        pure
        returns (int256 s)
    {
        uint256 end = row.length < (blk + 1) * BLOCK ? row.length : (blk + 1) * BLOCK;
        for (uint256 i = blk * BLOCK; i < end; i++) {
            (int256 ah, int256 al) = lane(row[i], ea);
            (int256 bh, int256 bl) = lane(column[i], eb);
            s += 256 * ah * bh + ah * bl + al * bh;
        }
    }
}
