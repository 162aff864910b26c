// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// Wrong operands of a referee op (op, a.length, b.length). Declared once, here, for Score and NormOps (which
/// imports it): two declarations of one error list it twice in the ABI of a contract that uses both.
error BadOperands(uint8 op, uint256 aLength, uint256 bLength);

/// A prediction market's TASK_RULE decision (src/markets/model.ts: decide(taskScores(losses, layout))):
/// outcome k scores minus the sum of its rows' losses, accumulated in JS f64 in row order, and the highest
/// score wins. The rule is defined in JS, so its arithmetic is IEEE-754 binary64: this library adds f64 bit
/// patterns exactly as JS `a + b` does (round to nearest even, subnormals, signed zeros, infinities; every
/// NaN the canonical 0x7ff8000000000000), written as F32.sol's add and round are, at 53 bits.
/// The arithmetic runs unchecked: significands are below 2^53, exponents below 2^11 in size, and aligned
/// sums below 2^254; the differential tests (src/disputes/onchainScore.test.ts) pin every result.
library Score {
    uint64 internal constant NAN = 0x7ff8000000000000;
    uint64 internal constant INF = 0x7ff0000000000000;
    uint64 internal constant SIGN = 0x8000000000000000;
    uint64 internal constant ABS = 0x7fffffffffffffff;
    uint8 internal constant TASK_DECIDE = 42;

    function isNaN(uint64 x) internal pure returns (bool) {
        return x & ABS > INF;
    }

    /// A finite x as m · 2^e with m < 2^53 (subnormals: the exponent field counts as 1).
    function unpack(uint64 x) internal pure returns (uint256 m, int256 e) {
        unchecked {
            uint256 ex = (x >> 52) & 0x7ff;
            m = x & 0xfffffffffffff;
            if (ex != 0) m |= 0x10000000000000;
            else ex = 1;
            e = int256(ex) - 1075;
        }
    }

    function signed(bool neg, uint64 magnitude) internal pure returns (uint64) {
        return neg ? magnitude | SIGN : magnitude;
    }

    /// The f64 nearest to ±mag · 2^lsb, ties to even (mag exact: addition needs no sticky bit). Overflow
    /// gives ±infinity, underflow ±0. F32.round at 53 bits and the exponent range -1074 … 971.
    function round(bool neg, uint256 mag, int256 lsb) internal pure returns (uint64) {
        unchecked {
            if (mag == 0) return signed(neg, 0);
            int256 p = int256(Math.log2(mag));
            int256 r = p - 52 > -1074 - lsb ? p - 52 : -1074 - lsb;
            int256 biased = r + lsb + 1074; // the exponent field less one for normal results, 0 for subnormal
            if (biased >= 2046) return signed(neg, INF);
            if (r > p + 1) return signed(neg, 0);
            uint256 q;
            if (r <= 0) {
                q = mag << uint256(-r);
            } else {
                uint256 s = uint256(r);
                q = mag >> s;
                uint256 rem = mag & ((1 << s) - 1);
                uint256 half = 1 << (s - 1);
                if (rem > half || (rem == half && q & 1 == 1)) q++;
            }
            // q's leading bit (2^52, or 2^53 after a carry) lands in the exponent field by addition.
            return signed(neg, uint64(uint256(biased) * 0x10000000000000 + q));
        }
    }

    function f64Add(uint64 a, uint64 b) internal pure returns (uint64) {
        unchecked {
            if (isNaN(a) || isNaN(b)) return NAN;
            (uint64 aa, uint64 ab) = (a & ABS, b & ABS);
            bool sa = a & SIGN != 0;
            bool sb = b & SIGN != 0;
            if (aa == INF) return ab == INF && sa != sb ? NAN : a;
            if (ab == INF) return b;
            if (aa == 0) return ab == 0 ? signed(sa && sb, 0) : b;
            if (ab == 0) return a;
            (uint256 ma, int256 ea) = unpack(a);
            (uint256 mb, int256 eb) = unpack(b);
            if (ea < eb) {
                (ma, ea, sa, mb, eb, sb) = (mb, eb, sb, ma, ea, sa);
            }
            uint256 d = uint256(ea - eb);
            uint256 big;
            uint256 small;
            int256 lsb;
            if (d <= 200) {
                (big, small, lsb) = (ma << d, mb, eb); // exact: below 2^253
            } else {
                // The smaller term is under 2^-147 of the larger: a one-unit stand-in three bits below the
                // larger's last bit rounds the same way (the larger is normal here, so three bits are dropped).
                (big, small, lsb) = (ma << 3, 1, ea - 3);
            }
            if (sa == sb) return round(sa, big + small, lsb);
            if (big == small) return 0; // exact cancellation is +0 under round to nearest
            return big > small ? round(sa, big - small, lsb) : round(sb, small - big, lsb);
        }
    }

    /// -x; NaN stays the canonical NaN.
    function f64Neg(uint64 x) internal pure returns (uint64) {
        return isNaN(x) ? NAN : x ^ SIGN;
    }

    /// The f64 of an f32's value, exactly (every f32 is an f64); an f32 NaN gives the canonical f64 NaN.
    function f64FromF32(uint32 x) internal pure returns (uint64) {
        unchecked {
            bool neg = x & 0x80000000 != 0;
            uint256 ex = (x >> 23) & 0xff;
            uint64 frac = x & 0x7fffff;
            if (ex == 255) return frac != 0 ? NAN : signed(neg, INF);
            if (ex != 0) return signed(neg, uint64((ex + 896) << 52) | (frac << 29)); // 1023 − 127 = 896
            return frac == 0 ? signed(neg, 0) : round(neg, frac, -149); // a subnormal f32 is a normal f64
        }
    }

    /// a > b as IEEE (and JS) order them: false with a NaN, -0 == +0.
    function f64Gt(uint64 a, uint64 b) internal pure returns (bool) {
        if (isNaN(a) || isNaN(b) || (a | b) & ABS == 0) return false;
        return key(a) > key(b);
    }

    /// A key whose unsigned order is the f64 order (-0 just below +0).
    function key(uint64 x) private pure returns (uint64) {
        return x & SIGN != 0 ? ~x : x | SIGN;
    }

    /// decide(taskScores(losses, layout)): layout is [first row, count] per outcome; outcome k's score is
    /// s = +0, then s = s + -loss for each of its rows in order (JS `s -= loss`, zeros' signs included);
    /// the first highest score wins (`>`: a NaN score never wins, unless it is outcome 0's and none beats
    /// it). At least two outcomes, each of at least one row inside losses (BadOperands otherwise).
    function taskDecide(uint32[] memory losses, uint32[] memory layout) internal pure returns (uint32) {
        uint256 n = losses.length;
        if (layout.length % 2 != 0 || layout.length < 4) revert BadOperands(TASK_DECIDE, n, layout.length);
        uint32 best;
        uint64 top;
        for (uint256 k = 0; k < layout.length / 2; k++) {
            (uint256 first, uint256 count) = (layout[2 * k], layout[2 * k + 1]);
            if (count == 0 || first + count > n) revert BadOperands(TASK_DECIDE, n, layout.length);
            uint64 s = 0;
            for (uint256 r = first; r < first + count; r++) s = f64Add(s, f64Neg(f64FromF32(losses[r])));
            if (k == 0 || f64Gt(s, top)) (best, top) = (uint32(k), s);
        }
        return best;
    }
}
