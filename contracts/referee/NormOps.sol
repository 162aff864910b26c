// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {FixedSum} from "./FixedSum.sol";
import {RowOps} from "./RowOps.sol";
import {BadOperands, Score} from "./Score.sol";

/// A training step's statistics that the element-wise ops leave out, one output element each, transcribed
/// from their CPU references: layernormRef's saved mean and std of a row (src/kernels/layernorm.ts), and
/// globalGradNormRef with clipScale (adamw.ts) in the chunked form of src/kernels/gradNormChunks.ts; and a
/// prediction market's TASK_RULE decision from its rows' losses (Score.sol, src/markets/model.ts).
///
/// The norm is Σ fxTerm(sq(g · 2^-s), 128) over every gradient, rounded once, then sqrt and · 2^s: a sum
/// of integers, so a chunk's partial total is exact and chunks add in any grouping; s is set by a max,
/// likewise associative. Operand layouts by op id (src/disputes/onchain.ts ONCHAIN_NORM_OPS):
///
/// - 37 layernormMean, row r: a = row r of x (n >= 1), b = [eps]. The exact mean rounded once (hi).
/// - 38 layernormStd, row r: a = row r of x, b = [eps]. sqrt(var + eps), the divisor the backward reads.
/// - 39 normExponent: a = a chunk of gradients (any length), b = []. The scale word e << 23 (the f32
///   2^(e−127)), e = max(1, the chunk's largest fxExponent). Over scale words it gives their max, so the
///   global scale is this op again over the chunks' outputs.
/// - 40 normSquares, word j of a chunk: a = the chunk, b = [scale, j], scale the global scale word (at
///   least the chunk's own) and j < 5. Words 0..3: the exact total in units of 2^-86, 32-bit limbs,
///   least significant first; word 4: flags, 1 a NaN gradient, 2 an infinite one.
/// - 41 normClip, element k: a = chunks' words (5 each, concatenated), b = [k, scale, maxNorm]. k = 0:
///   the global norm; 1: clipScale(norm, maxNorm) = min(1, maxNorm / norm); 2..6: word k − 2 of the
///   chunks combined (totals added, flags or-ed), so that a tree of this op covers any number of chunks.
/// - 42 taskDecide: a = every row's loss (f32), b = the layout, [first row, count] per outcome. The index
///   of the winning outcome as a uint32: decide(taskScores(a, b)), the scores summed in f64 (Score.sol).
///
/// Wrong lengths, a scale word not of the form e << 23 (1 <= e <= 254), j or k out of range or a flags
/// word past 3 revert BadOperands(op, a.length, b.length); a scale below the chunk's own ScaleBelowChunk;
/// for 42, a layout of odd length, under two outcomes, a count of 0 or rows past a's end BadOperands.
library NormOps {
    using F32 for uint32;

    uint8 internal constant LAYERNORM_MEAN = 37;
    uint8 internal constant LAYERNORM_STD = 38;
    uint8 internal constant NORM_EXPONENT = 39;
    uint8 internal constant NORM_SQUARES = 40;
    uint8 internal constant NORM_CLIP = 41;
    uint8 internal constant TASK_DECIDE = 42;
    uint256 internal constant WORDS = 5;
    uint256 private constant LIMBS = 4;
    /// The squares' fixed scale: every g · 2^-s is below 2, so every square below 4 (field <= 128).
    uint256 private constant NORM_SCALE = 128;
    uint256 private constant FLAGS = 3; // FixedSum's NaN (1) and +Inf (2) flags
    uint32 private constant ONE = 0x3f800000;

    error ScaleBelowChunk(uint32 scale, uint32 chunkScale);
    error TotalPast128Bits(uint256 total);

    function covers(uint8 op) internal pure returns (bool) {
        return op >= LAYERNORM_MEAN && op <= TASK_DECIDE;
    }

    function recompute(uint8 op, uint32[] memory a, uint32[] memory b) internal pure returns (uint32) {
        if (op == LAYERNORM_MEAN || op == LAYERNORM_STD) {
            if (a.length == 0 || b.length != 1) revert BadOperands(op, a.length, b.length);
            return op == LAYERNORM_MEAN ? FixedSum.mean(a) : layernormStd(a, b[0]);
        }
        if (op == TASK_DECIDE) return Score.taskDecide(a, b);
        if (op == NORM_EXPONENT) {
            if (b.length != 0) revert BadOperands(op, a.length, b.length);
            return exponent(a);
        }
        if (op == NORM_SQUARES) {
            if (b.length != 2 || b[1] >= WORDS) revert BadOperands(op, a.length, b.length);
            return squares(a, shift(op, a, b, b[0]), b[0])[b[1]];
        }
        if (op != NORM_CLIP || b.length != 3 || b[0] >= 2 + WORDS) revert BadOperands(op, a.length, b.length);
        int256 s = shift(op, a, b, b[1]);
        (uint256 total, uint256 flags) = readChunks(a);
        if (b[0] >= 2) {
            uint32[WORDS] memory w = chunkWords(total, flags);
            return w[b[0] - 2];
        }
        uint32 norm = globalNorm(total, flags, s);
        return b[0] == 0 ? norm : ONE.min(b[2].div(norm));
    }

    /// layernormRef's std: sigma (layernormParts) scaled back by the row's normShift.
    function layernormStd(uint32[] memory x, uint32 eps) internal pure returns (uint32) {
        (, uint32 sigma) = RowOps.layernormParts(x, eps);
        return sigma.ldexp(RowOps.normShift(x));
    }

    /// normExponent: e << 23, e the largest fxExponent (max(field, 1), NaN and infinities 0), at least 1.
    function exponent(uint32[] memory x) internal pure returns (uint32) {
        uint256 e = 1;
        for (uint256 i = 0; i < x.length; i++) {
            uint256 ex = (x[i] >> 23) & 0xff;
            if (ex != 255 && ex > e) e = ex;
        }
        return uint32(e << 23);
    }

    /// s = e − 127 of a scale word, which must be exactly e << 23 with 1 <= e <= 254.
    function shift(uint8 op, uint32[] memory a, uint32[] memory b, uint32 scale) private pure returns (int256) {
        uint256 e = scale >> 23;
        if (scale & 0x7fffff != 0 || e < 1 || e > 254) revert BadOperands(op, a.length, b.length);
        return int256(e) - 127;
    }

    /// normSquares: the chunk's exact total of fxTerm(sq(g · 2^-s), 128) and its flags, as words.
    function squares(uint32[] memory x, int256 s, uint32 scale) internal pure returns (uint32[WORDS] memory) {
        uint32 own = exponent(x);
        if (own > scale) revert ScaleBelowChunk(scale, own);
        uint256 total;
        uint256 flags;
        for (uint256 i = 0; i < x.length; i++) {
            uint32 t = x[i].ldexp(-s);
            uint32 q = t.mul(t); // never negative: +0, a positive value below 4, +Inf or the canonical NaN
            if ((q >> 23) & 0xff == 255) flags |= q & 0x7fffff != 0 ? 1 : 2;
            else total += uint256(FixedSum.term(q, NORM_SCALE));
        }
        return chunkWords(total, flags); // each term < 2^88: under 2^128 for any chunk calldata can carry
    }

    /// Words 0..3 the total's limbs, least significant first, word 4 the flags.
    function chunkWords(uint256 total, uint256 flags) internal pure returns (uint32[WORDS] memory w) {
        if (total >> (32 * LIMBS) != 0) revert TotalPast128Bits(total);
        for (uint256 j = 0; j < LIMBS; j++) w[j] = uint32(total >> (32 * j));
        w[LIMBS] = uint32(flags);
    }

    /// Chunks' words: the totals added and the flags or-ed (a flags word past 3 is no chunk's).
    function readChunks(uint32[] memory a) internal pure returns (uint256 total, uint256 flags) {
        if (a.length % WORDS != 0) revert BadOperands(NORM_CLIP, a.length, 3);
        for (uint256 c = 0; c < a.length; c += WORDS) {
            for (uint256 j = 0; j < LIMBS; j++) total += uint256(a[c + j]) << (32 * j);
            if (a[c + LIMBS] > FLAGS) revert BadOperands(NORM_CLIP, a.length, 3);
            flags |= a[c + LIMBS];
        }
    }

    /// globalGradNormRef's last steps: the exact sum rounded once at the fixed scale, sqrt, · 2^s.
    function globalNorm(uint256 total, uint256 flags, int256 s) internal pure returns (uint32) {
        return FixedSum.toF32(FixedSum.Acc(int256(total), NORM_SCALE, flags)).sqrt().ldexp(s);
    }
}
