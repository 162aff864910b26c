// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {FixedSum} from "./FixedSum.sol";
import {SoftFloat} from "./SoftFloat.sol";

/// The row ops, where one output element depends on its whole row: softmax (src/kernels/softmax.ts)
/// and the two norms (layernorm.ts, rmsnorm.ts, norm.ts), in the references' operation order.
/// Each returns the row's shared part once; an element is one or two F32 steps from it.
library RowOps {
    using F32 for uint32;

    /// exp(x - max) <= 1, so the row sum has this fixed scale (EXP_SCALE).
    uint256 internal constant EXP_SCALE = 128;

    /// softmax's e = exp(x - max) per element and their exact sum s: y_k = e_k / s.
    function softmaxParts(uint32[] memory x) internal pure returns (uint32[] memory e, uint32 s) {
        uint32 m = F32.INF | F32.SIGN;
        for (uint256 i = 0; i < x.length; i++) m = m.max(x[i]); // NaN anywhere makes m NaN
        e = new uint32[](x.length);
        for (uint256 i = 0; i < x.length; i++) e[i] = expSub(x[i], m);
        s = FixedSum.toF32(FixedSum.accumulateAt(e, EXP_SCALE));
    }

    /// e^(x - m) with x - m split exactly into hi + lo (Knuth's TwoSum): fx_exp_sub.
    function expSub(uint32 x, uint32 m) internal pure returns (uint32) {
        uint32 hi = x.sub(m);
        uint32 x1 = hi.add(m);
        uint32 nm1 = hi.sub(x1);
        uint32 lo = x.sub(x1).add(m.neg().sub(nm1));
        // lo is tiny next to 1 only while |hi| < 128
        (uint32 y, int256 k) = SoftFloat.expY(hi, F32.lt(hi.abs(), 0x43000000) ? lo : 0);
        return y.ldexp(k);
    }

    /// The power of two s >= 0 that brings every finite |v| · 2^-s below 2 (normShift).
    function normShift(uint32[] memory x) internal pure returns (int256) {
        uint256 e;
        for (uint256 i = 0; i < x.length; i++) {
            uint256 ex = (x[i] >> 23) & 0xff;
            if (ex != 255 && ex > e) e = ex;
        }
        return e > 127 ? int256(e - 127) : int256(0);
    }

    /// sqrt(mean(v^2) + eps · 2^-2s) of already scaled values v (scaledRoot).
    function scaledRoot(uint32[] memory v, int256 s, uint32 eps) internal pure returns (uint32) {
        uint32[] memory squares = new uint32[](v.length);
        for (uint256 i = 0; i < v.length; i++) squares[i] = v[i].mul(v[i]);
        uint32 meanSquare = FixedSum.divToF32(FixedSum.accumulate(squares), v.length);
        return meanSquare.add(eps.ldexp(-2 * s)).sqrt();
    }

    /// rmsnorm's root: y_k = (x_k / root) · gamma_k.
    function rmsRoot(uint32[] memory x, uint32 eps) internal pure returns (uint32) {
        int256 s = normShift(x);
        uint32[] memory scaled = new uint32[](x.length);
        for (uint256 i = 0; i < x.length; i++) scaled[i] = x[i].ldexp(-s);
        return scaledRoot(scaled, s, eps).ldexp(s);
    }

    /// layernorm's scaled deviations d and sigma = std · 2^-s: y_k = (d_k / sigma) · gamma_k + beta_k.
    function layernormParts(uint32[] memory x, uint32 eps) internal pure returns (uint32[] memory d, uint32 sigma) {
        // The mean as hi + lo: hi the exact mean rounded, lo the rounded mean of what hi left out.
        FixedSum.Acc memory acc = FixedSum.accumulate(x);
        uint32 hi = FixedSum.divToF32(acc, x.length);
        acc.total -= int256(x.length) * FixedSum.term(hi, acc.eMax);
        uint32 lo = FixedSum.divToF32(acc, x.length);
        int256 s = normShift(x);
        d = new uint32[](x.length);
        for (uint256 i = 0; i < x.length; i++) d[i] = x[i].ldexp(-s).sub(hi.ldexp(-s)).sub(lo.ldexp(-s));
        sigma = scaledRoot(d, s, eps);
    }
}
