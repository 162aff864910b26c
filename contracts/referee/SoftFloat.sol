// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";

/// exp, log, tanh and sigmoid as src/kernels/softfloat.ts defines them: the same fixed sequence of
/// correctly rounded F32 steps, line for line (Cephes polynomials, Horner's rule with one rounded mul and
/// one rounded add per step, never fused), constants as the same f32 bit patterns.
library SoftFloat {
    using F32 for uint32;

    uint32 private constant ONE = 0x3f800000;
    uint32 private constant TWO = 0x40000000;
    uint32 private constant HALF = 0x3f000000;
    uint32 private constant LOG2E = 0x3fb8aa3b;
    uint32 private constant LN2_HI = 0x3f318000; // 9 significant bits: k·LN2_HI is exact
    uint32 private constant LN2_LO = 0xb95e8083;
    uint32 private constant EXP_MIN = 0xc2dc0000; // -110
    uint32 private constant EXP_MAX = 0x42c80000; // 100
    uint32 private constant SQRT_HALF = 0x3f3504f3;
    uint32 private constant TANH_BIG = 0x42300000; // 44
    uint32 private constant TANH_MID = 0x3f200000; // 0.625

    /// Horner's rule, highest coefficient first: one rounded mul and one rounded add per step.
    function poly(uint32[] memory coefs, uint32 x) internal pure returns (uint32 y) {
        y = coefs[0];
        for (uint256 i = 1; i < coefs.length; i++) y = y.mul(x).add(coefs[i]);
    }

    function expCoefs() private pure returns (uint32[] memory c) {
        c = new uint32[](6);
        (c[0], c[1], c[2], c[3], c[4], c[5]) = (0x39506967, 0x3ab743ce, 0x3c088908, 0x3d2aa9c1, 0x3e2aaaaa, 0x3f000000);
    }

    /// e^(hi + lo) as y · 2^k, y in about [0.7, 1.42] (expY and more[0]).
    function expY(uint32 hi, uint32 lo) internal pure returns (uint32 y, int256 k) {
        uint32 x = hi.max(EXP_MIN).min(EXP_MAX);
        k = x.mul(LOG2E).roundToI32();
        uint32 kf = F32.fromI32(k);
        uint32 r = x.sub(kf.mul(LN2_HI)).sub(kf.mul(LN2_LO)).add(lo);
        y = poly(expCoefs(), r).mul(r.mul(r)).add(r).add(ONE);
    }

    function exp(uint32 x) internal pure returns (uint32) {
        (uint32 y, int256 k) = expY(x, 0);
        return y.ldexp(k);
    }

    function log(uint32 x) internal pure returns (uint32) {
        if (x.isNaN() || F32.lt(x, 0)) return F32.NAN;
        if (x & F32.ABS == 0) return F32.INF | F32.SIGN;
        if (x == F32.INF) return x;
        (uint32 m, int256 e) = frexp(x);
        uint32 t = m.sub(ONE);
        if (F32.lt(m, SQRT_HALF)) {
            e -= 1;
            t = m.add(m).sub(ONE);
        }
        uint32 z = t.mul(t);
        uint32[] memory c = new uint32[](9);
        (c[0], c[1], c[2], c[3], c[4]) = (0x3d9021bb, 0xbdebd1b8, 0x3def251a, 0xbdfe5d4f, 0x3e11e9bf);
        (c[5], c[6], c[7], c[8]) = (0xbe2aae50, 0x3e4cceac, 0xbe7ffffc, 0x3eaaaaaa);
        uint32 y = poly(c, t).mul(t).mul(z);
        uint32 fe = F32.fromI32(e);
        if (e != 0) y = y.add(fe.mul(LN2_LO));
        y = y.sub(HALF.mul(z));
        uint32 r = t.add(y);
        return e != 0 ? r.add(fe.mul(LN2_HI)) : r;
    }

    /// x = m · 2^e with m in [0.5, 1), for finite x > 0 (subnormals normalised first).
    function frexp(uint32 x) private pure returns (uint32 m, int256 e) {
        uint256 bits = x;
        e = int256(bits >> 23);
        if (e == 0) {
            uint256 shift;
            while (bits & 0x800000 == 0) {
                bits <<= 1;
                shift++;
            }
            e = 1 - int256(shift);
        }
        m = uint32((126 << 23) | (bits & 0x7fffff));
        e -= 126;
    }

    function tanh(uint32 x) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        uint32 z = x.abs();
        if (F32.lt(TANH_BIG, z)) return F32.lt(0, x) ? ONE : ONE | F32.SIGN;
        if (!F32.lt(z, TANH_MID)) {
            uint32 r = ONE.sub(TWO.div(exp(z.add(z)).add(ONE)));
            return F32.lt(x, 0) ? r.neg() : r;
        }
        if (x & F32.ABS == 0) return x;
        uint32 s = x.mul(x);
        uint32[] memory c = new uint32[](5);
        (c[0], c[1], c[2], c[3], c[4]) = (0xbbbaf0ea, 0x3ca9134e, 0xbd5c1e2d, 0x3e088393, 0xbeaaaa99);
        return poly(c, s).mul(s).mul(x).add(x);
    }

    /// 1 / (1 + e^-x), always through e^-|x| <= 1 so neither tail cancels or overflows.
    function sigmoid(uint32 x) internal pure returns (uint32) {
        (uint32 y, int256 k) = expY(x.abs().neg(), 0);
        uint32 d = ONE.add(y.ldexp(k));
        return F32.lt(x, 0) ? y.div(d).ldexp(k) : ONE.div(d);
    }
}
