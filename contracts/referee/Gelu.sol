// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {SoftFloat} from "./SoftFloat.sol";

/// GPT-2's tanh GELU and the exact (erf) GELU as src/kernels/softfloat.ts evaluates them: compensated
/// hi + lo arithmetic (Dekker's product, Knuth's sum) so the e^v tails keep their precision, every step
/// one correctly rounded F32 op, in the reference's order.
library Gelu {
    using F32 for uint32;

    uint32 private constant ONE = 0x3f800000;
    uint32 private constant HALF = 0x3f000000;
    uint32 private constant MINUS_HALF = 0xbf000000;
    uint32 private constant K2_HI = 0x3fcc422a; // 2 sqrt(2/pi), hi + lo
    uint32 private constant K2_LO = 0xb342bc9b;
    uint32 private constant A_HI = 0x3d372713; // 0.044715, hi + lo
    uint32 private constant A_LO = 0x30d4801f;

    /// The top 12 significant bits of a: a product of two halves has at most 24 bits and is exact.
    function hi12(uint32 a) private pure returns (uint32) {
        return a & 0xfffff000;
    }

    /// a · b = p + e exactly (Dekker), for products that neither overflow nor underflow.
    function twoProd(uint32 a, uint32 b) internal pure returns (uint32 p, uint32 e) {
        p = a.mul(b);
        (uint32 ah, uint32 bh) = (hi12(a), hi12(b));
        (uint32 al, uint32 bl) = (a.sub(ah), b.sub(bh));
        e = ah.mul(bh).sub(p).add(ah.mul(bl)).add(al.mul(bh)).add(al.mul(bl));
    }

    /// a + b = s + e exactly (Knuth).
    function twoSum(uint32 a, uint32 b) internal pure returns (uint32 s, uint32 e) {
        s = a.add(b);
        uint32 bb = s.sub(a);
        e = a.sub(s.sub(bb)).add(b.sub(bb));
    }

    /// v = 2 sqrt(2/pi) (x + 0.044715 x^3) as vh + vl, and w = 2 sqrt(2/pi) x as wh + wl, which the
    /// derivative needs (geluTanhArgV and its more[0..2]).
    function tanhArg(uint32 x) internal pure returns (uint32 vh, uint32 vl, uint32 wh, uint32 wl) {
        (uint32 uh, uint32 ul) = tanhArgU(x);
        (wh, wl) = twoProd(K2_HI, x);
        wl = wl.add(K2_LO.mul(x));
        (vh, vl) = twoProd(wh, uh);
        vl = vl.add(wh.mul(ul).add(wl.mul(uh)));
    }

    /// u = 1 + 0.044715 x^2 as uh + ul (a function of its own: the stack holds 16 slots).
    function tanhArgU(uint32 x) private pure returns (uint32 uh, uint32 ul) {
        (uint32 x2h, uint32 x2l) = twoProd(x, x);
        (uint32 th, uint32 tlo) = twoProd(A_HI, x2h);
        uint32 tl = tlo.add(A_HI.mul(x2l).add(A_LO.mul(x2h)));
        (uh, ul) = twoSum(ONE, th);
        ul = ul.add(tl);
    }

    /// x · sigmoid(2u): the same function as 0.5x(1 + tanh u), without the 1 + tanh cancellation.
    function geluTanh(uint32 x) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        if (!F32.lt(x, 0x41200000)) return x; // x >= 10: sigmoid(2u) rounds to 1
        if (!F32.lt(0xc1300000, x)) return F32.SIGN; // x <= -11: below half the smallest subnormal
        (uint32 vh, uint32 vl,,) = tanhArg(x);
        bool negative = F32.lt(vh, 0);
        (uint32 y, int256 k) = SoftFloat.expY(negative ? vh : vh.neg(), negative ? vl : vl.neg());
        uint32 d = ONE.add(y.ldexp(k));
        return negative ? x.mul(y).div(d).ldexp(k) : x.mul(ONE.div(d));
    }

    function phiSmall(uint32 x) internal pure returns (uint32) {
        uint32[] memory c = new uint32[](5);
        (c[0], c[1], c[2], c[3], c[4]) = (0x38d7e1cb, 0xba9ad559, 0x3c236310, 0xbd882c10, 0x3ecc422a);
        return HALF.add(x.mul(SoftFloat.poly(c, x.mul(x))));
    }

    /// e^(-a^2/2) as y · 2^k, with a^2 carried exactly.
    function gaussY(uint32 a) internal pure returns (uint32 y, int256 k) {
        (uint32 h, uint32 e) = twoProd(a, a);
        return SoftFloat.expY(h.mul(MINUS_HALF), e.mul(MINUS_HALF));
    }

    /// H(a) for a in [0.75, 14.5], w = 1/a: in (a - 1.5) below 3, in 1/a above.
    function millsFit(uint32 a, uint32 w) internal pure returns (uint32) {
        uint32[] memory c;
        if (F32.lt(a, 0x40400000)) {
            c = new uint32[](11);
            (c[0], c[1], c[2], c[3], c[4], c[5]) = (0xb609cc94, 0x3783483b, 0xb886b54c, 0x3965083a, 0xba3ad781, 0x3b10ca39);
            (c[6], c[7], c[8], c[9], c[10]) = (0xbbcf785a, 0x3c86b0c2, 0xbd199024, 0x3d90201a, 0x3e9e0a20);
            return SoftFloat.poly(c, a.sub(0x3fc00000));
        }
        c = new uint32[](9);
        (c[0], c[1], c[2], c[3], c[4]) = (0xc095fbef, 0x40ca0c81, 0xbfbd1e2e, 0xc00e1a38, 0x3fd686d8);
        (c[5], c[6], c[7], c[8]) = (0xbd739a2e, 0xbeca0650, 0xb9381005, 0x3ecc428e);
        return SoftFloat.poly(c, w);
    }

    /// x Phi(x) = 0.5x(1 + erf(x / sqrt 2)).
    function geluErf(uint32 x) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        if (!F32.lt(x, 0x40c00000)) return x; // x >= 6: Q(x) < 2^-25
        if (!F32.lt(0xc1680000, x)) return F32.SIGN; // x <= -14.5
        uint32 a = x.abs();
        if (F32.lt(a, 0x3f400000)) return x.mul(phiSmall(x)); // |x| < 0.75
        (uint32 y, int256 k) = gaussY(a);
        uint32 w = ONE.div(a);
        uint32 h = millsFit(a, w);
        // x < 0: x Q(a) = -e^(-a^2/2) H(a), scaled last so a subnormal result is rounded once.
        if (F32.lt(x, 0)) return y.mul(h).ldexp(k).neg();
        return x.mul(ONE.sub(y.ldexp(k).mul(h).mul(w)));
    }
}
