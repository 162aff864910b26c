// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {SoftFloat} from "./SoftFloat.sol";
import {Gelu} from "./Gelu.sol";

/// The GELUs' backward, dL/dx = gelu'(x) · g, as src/kernels/elementwise.ts evaluates it (geluTanhGrad,
/// geluErfGrad): the forward's compensated pieces (Gelu.sol) and then the derivative's own fixed sequence
/// of correctly rounded F32 steps, in the reference's order, never fused.
library Grads {
    using F32 for uint32;

    uint32 private constant ONE = 0x3f800000;
    uint32 private constant THREE = 0x40400000;
    uint32 private constant INV_SQRT_2PI = 0x3ecc422a;

    /// d/dx x sigmoid(v) = sigmoid(v) + x v' sigmoid'(v), where x v' = 3v - 2w (w = 2 sqrt(2/pi) x).
    function geluTanhGrad(uint32 x, uint32 g) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        uint32 dy = ONE;
        if (!F32.lt(0xc1300000, x)) dy = F32.SIGN; // x <= -11
        else if (F32.lt(x, 0x41200000)) dy = geluTanhSlope(x); // x < 10
        return g.mul(dy);
    }

    /// gelu'(x) for -11 < x < 10.
    function geluTanhSlope(uint32 x) private pure returns (uint32) {
        (uint32 vh, uint32 vl, uint32 wh, uint32 wl) = Gelu.tanhArg(x);
        bool negative = F32.lt(vh, 0);
        (uint32 y, int256 k) = SoftFloat.expY(negative ? vh : vh.neg(), negative ? vl : vl.neg());
        uint32 d = ONE.add(y.ldexp(k));
        // 3v - 2w from the compensated parts: only the last two steps round
        (uint32 th, uint32 tl) = Gelu.twoSum(vh.add(vh), vh);
        uint32 xdv = th.sub(wh.add(wh)).add(tl.add(THREE.mul(vl)).sub(wl.add(wl)));
        uint32 sp = y.div(d.mul(d)); // sigmoid'(v) / 2^k, scaled last so tails round once
        if (negative) return y.div(d).add(xdv.mul(sp)).ldexp(k);
        return ONE.div(d).add(xdv.mul(sp.ldexp(k)));
    }

    /// d/dx x Phi(x) = Phi(x) + x phi(x), with Phi and phi from the same pieces as Gelu.geluErf.
    function geluErfGrad(uint32 x, uint32 g) internal pure returns (uint32) {
        if (x.isNaN()) return F32.NAN;
        uint32 dy = ONE;
        if (!F32.lt(0xc1680000, x)) dy = F32.SIGN; // x <= -14.5
        else if (F32.lt(x, 0x40c00000)) dy = geluErfSlope(x); // x < 6
        return g.mul(dy);
    }

    /// gelu'(x) for -14.5 < x < 6.
    function geluErfSlope(uint32 x) private pure returns (uint32) {
        uint32 ax = x.abs();
        (uint32 y, int256 k) = Gelu.gaussY(ax);
        uint32 phi = y.ldexp(k).mul(INV_SQRT_2PI);
        if (F32.lt(ax, 0x3f400000)) return Gelu.phiSmall(x).add(x.mul(phi)); // |x| < 0.75
        uint32 w = ONE.div(ax);
        uint32 h = Gelu.millsFit(ax, w);
        if (F32.lt(x, 0)) return y.mul(h.mul(w).sub(ax.mul(INV_SQRT_2PI))).ldexp(k);
        return ONE.sub(y.ldexp(k).mul(h).mul(w)).add(x.mul(phi));
    }
}
