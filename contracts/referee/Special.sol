// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {SoftFloat} from "./SoftFloat.sol";
import {Gelu} from "./Gelu.sol";

/// erf, sin and cos as src/kernels/special.ts defines them: the normal-distribution pieces of the exact
/// GELU for erf, the Cephes sinf/cosf polynomials after a five-part pi/4 reduction for sin and cos (NaN
/// from |x| = 51471 on, by definition), every step one correctly rounded F32 op in the reference's order.
library Special {
    using F32 for uint32;

    uint32 private constant ONE = 0x3f800000;
    uint32 private constant TWO = 0x40000000;
    uint32 private constant HALF = 0x3f000000;
    uint32 private constant SQRT2 = 0x3fb504f3;
    uint32 private constant TWO_SQRT2 = 0x403504f3;
    uint32 private constant FOPI = 0x3fa2f983; // 4 / pi
    uint32 private constant TRIG_LIMIT = 0x47490f00; // 51471

    function erf(uint32 x) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        uint32 a = x.abs();
        if (!F32.lt(a, 0x40800000)) return F32.lt(0, x) ? ONE : ONE | F32.SIGN; // |x| >= 4
        uint32 t = a.mul(SQRT2);
        if (F32.lt(t, 0x3f400000)) {
            // 2 t P(t^2) = x 2 sqrt2 P(2 x^2): 2x^2 is exact of x^2, so t itself is never rounded here
            uint32[] memory c = new uint32[](5);
            (c[0], c[1], c[2], c[3], c[4]) = (0x38d7e1cb, 0xba9ad559, 0x3c236310, 0xbd882c10, 0x3ecc422a);
            return x.mul(TWO_SQRT2.mul(SoftFloat.poly(c, x.mul(x).mul(TWO))));
        }
        (uint32 h, uint32 e) = Gelu.twoProd(a, a);
        (uint32 y, int256 k) = SoftFloat.expY(h.neg(), e.neg());
        uint32 w = ONE.div(t);
        uint32 r = ONE.sub(y.mul(Gelu.millsFit(t, w).mul(w)).ldexp(k + 1));
        return F32.lt(x, 0) ? r.neg() : r;
    }

    function sin(uint32 x) internal pure returns (uint32) {
        return sinCos(x, false);
    }

    function cos(uint32 x) internal pure returns (uint32) {
        return sinCos(x, true);
    }

    function sinCos(uint32 x, bool isCos) private pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        uint32 a = x.abs();
        if (!F32.lt(a, TRIG_LIMIT)) return F32.NAN;
        if (a == 0) return isCos ? ONE : x;
        uint256 j = truncate(a.mul(FOPI));
        if (j & 1 == 1) j += 1;
        uint32 r = reduce(a, F32.fromI32(int256(j)));
        uint256 octant = j & 7;
        bool negative = !isCos && F32.lt(x, 0);
        if (octant > 3) {
            negative = !negative;
            octant -= 4;
        }
        if (isCos && octant > 1) negative = !negative;
        uint32 z = r.mul(r);
        uint32[] memory c = new uint32[](3);
        uint32 v;
        // octant is 0 or 2: sin's octant 2 and cos's octant 0 take the cosine polynomial
        if ((octant == 2) != isCos) {
            (c[0], c[1], c[2]) = (0x37ccf5ce, 0xbab6061a, 0x3d2aaaa5);
            v = SoftFloat.poly(c, z).mul(z).mul(z).sub(HALF.mul(z)).add(ONE);
        } else {
            (c[0], c[1], c[2]) = (0xb94ca1f9, 0x3c08839e, 0xbe2aaaa3);
            v = SoftFloat.poly(c, z).mul(z).mul(r).add(r);
        }
        return negative ? v.neg() : v;
    }

    /// a - y·pi/4 with pi/4 in five parts (the first four of at most 8 significant bits).
    function reduce(uint32 a, uint32 y) private pure returns (uint32 r) {
        r = a.sub(y.mul(0x3f490000)).sub(y.mul(0x397d0000)).sub(y.mul(0x352a0000)).sub(y.mul(0x30080000));
        r = r.sub(y.mul(0x2bb4611a));
    }

    /// Truncation toward zero of a finite, non-negative f32 below 2^31.
    function truncate(uint32 a) private pure returns (uint256) {
        (uint256 m, int256 e) = F32.unpack(a);
        if (e >= 0) return m << uint256(e);
        return -e >= 24 ? 0 : m >> uint256(-e);
    }
}
