// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// IEEE-754 binary32 + - * / and sqrt on bit patterns, round to nearest even, exactly as the engine's
/// reference (src/kernels/softfloat.ts) defines them: correctly rounded, subnormals kept (no flush to
/// zero), signed zeros as IEEE has them, and every NaN result the one canonical NaN 0x7fc00000 (the
/// engine keeps no payloads). Each op forms its exact result as an integer times a power of two and
/// rounds it once (`round`), so there is one rounding routine to get right.
/// The arithmetic runs unchecked: every intermediate is bounded far inside 256 bits (significands below 2^24,
/// exponents below 2^10, aligned sums below 2^230), and the differential tests pin every result.
library F32 {
    uint32 internal constant NAN = 0x7fc00000;
    uint32 internal constant INF = 0x7f800000;
    uint32 internal constant SIGN = 0x80000000;
    uint32 internal constant ABS = 0x7fffffff;

    function isNaN(uint32 x) internal pure returns (bool) {
        return x & ABS > INF;
    }

    /// A finite x as m · 2^e with m < 2^24 (subnormals: the exponent field counts as 1).
    function unpack(uint32 x) internal pure returns (uint256 m, int256 e) {
        unchecked {
            uint256 ex = (x >> 23) & 0xff;
            m = x & 0x7fffff;
            if (ex != 0) m |= 0x800000;
            else ex = 1;
            e = int256(ex) - 150;
        }
    }

    function signed(bool neg, uint32 magnitude) internal pure returns (uint32) {
        return neg ? magnitude | SIGN : magnitude;
    }

    /// The f32 nearest to ±(mag + t) · 2^lsb, ties to even, where 0 <= t < 1 and `sticky` says t > 0.
    /// Callers pass enough bits that rounding drops at least two when sticky is set, so t only ever
    /// breaks a tie. Overflow gives ±infinity, underflow ±0. Mirrors roundToF32Bits (src/kernels/fixed.ts).
    function round(bool neg, uint256 mag, int256 lsb, bool sticky) internal pure returns (uint32) {
        unchecked {
            if (mag == 0) return signed(neg, 0);
            int256 p = int256(Math.log2(mag));
            int256 r = p - 23 > -149 - lsb ? p - 23 : -149 - lsb;
            int256 biased = r + lsb + 149; // the exponent field less one for normal results, 0 for subnormal
            if (biased >= 254) return signed(neg, INF);
            if (r > p + 1) return signed(neg, 0);
            uint256 q;
            if (r <= 0) {
                q = mag << uint256(-r);
            } else {
                uint256 s = uint256(r);
                q = mag >> s;
                uint256 rem = mag & ((1 << s) - 1);
                uint256 half = 1 << (s - 1);
                if (rem > half || (rem == half && (sticky || q & 1 == 1))) q++;
            }
            // q's leading bit (2^23, or 2^24 after a carry) lands in the exponent field by addition.
            return signed(neg, uint32(uint256(biased) * 0x800000 + q));
        }
    }

    function add(uint32 a, uint32 b) internal pure returns (uint32) {
        unchecked {
            if (isNaN(a) || isNaN(b)) return NAN;
            (uint32 aa, uint32 ab) = (a & ABS, b & ABS);
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
                (big, small, lsb) = (ma << d, mb, eb); // exact: below 2^224
            } else {
                // The smaller term is under 2^-170 of the larger: a one-unit stand-in three bits below the
                // larger's last bit rounds the same way (the larger is normal here, so three bits are dropped).
                (big, small, lsb) = (ma << 3, 1, ea - 3);
            }
            if (sa == sb) return round(sa, big + small, lsb, false);
            if (big == small) return 0; // exact cancellation is +0 under round to nearest
            return big > small ? round(sa, big - small, lsb, false) : round(sb, small - big, lsb, false);
        }
    }

    function sub(uint32 a, uint32 b) internal pure returns (uint32) {
        return add(a, b ^ SIGN); // NaN stays NaN; -(+0) = -0 gives IEEE's zero signs
    }

    function mul(uint32 a, uint32 b) internal pure returns (uint32) {
        unchecked {
            if (isNaN(a) || isNaN(b)) return NAN;
            bool s = (a ^ b) & SIGN != 0;
            (uint32 aa, uint32 ab) = (a & ABS, b & ABS);
            if (aa == INF || ab == INF) return aa == 0 || ab == 0 ? NAN : signed(s, INF);
            if (aa == 0 || ab == 0) return signed(s, 0);
            (uint256 ma, int256 ea) = unpack(a);
            (uint256 mb, int256 eb) = unpack(b);
            return round(s, ma * mb, ea + eb, false);
        }
    }

    function div(uint32 a, uint32 b) internal pure returns (uint32) {
        unchecked {
            if (isNaN(a) || isNaN(b)) return NAN;
            bool s = (a ^ b) & SIGN != 0;
            (uint32 aa, uint32 ab) = (a & ABS, b & ABS);
            if (aa == INF) return ab == INF ? NAN : signed(s, INF);
            if (ab == INF) return signed(s, 0);
            if (ab == 0) return aa == 0 ? NAN : signed(s, INF);
            if (aa == 0) return signed(s, 0);
            (uint256 ma, int256 ea) = unpack(a);
            (uint256 mb, int256 eb) = unpack(b);
            // 2^80 / 2^24: the quotient keeps at least 56 bits, so the remainder is a true sticky bit.
            uint256 num = ma << 80;
            return round(s, num / mb, ea - eb - 80, num % mb != 0);
        }
    }

    function sqrt(uint32 a) internal pure returns (uint32) {
        unchecked {
            if (isNaN(a)) return NAN;
            if (a & ABS == 0) return a; // sqrt(-0) = -0
            if (a & SIGN != 0) return NAN;
            if (a == INF) return INF;
            (uint256 m, int256 e) = unpack(a);
            // An even exponent, and at least 2^100 under the root so the root keeps 50 bits.
            uint256 s = e % 2 == 0 ? 100 : 101;
            uint256 big = m << s;
            uint256 root = Math.sqrt(big);
            return round(false, root, (e - int256(s)) / 2, root * root != big);
        }
    }

    // ---- The helpers the softfloat transcendentals use (src/kernels/softfloat.ts), same rules. ----

    function neg(uint32 a) internal pure returns (uint32) {
        return isNaN(a) ? NAN : a ^ SIGN;
    }

    function abs(uint32 a) internal pure returns (uint32) {
        return isNaN(a) ? NAN : a & ABS;
    }

    /// a < b as IEEE orders them: false with a NaN, -0 == +0.
    function lt(uint32 a, uint32 b) internal pure returns (bool) {
        if (isNaN(a) || isNaN(b) || (a | b) & ABS == 0) return false;
        return key(a) < key(b);
    }

    /// A key whose unsigned order is the f32 order (-0 just below +0).
    function key(uint32 x) private pure returns (uint32) {
        return x & SIGN != 0 ? ~x : x | SIGN;
    }

    /// Math.max's rules: NaN if either is NaN, +0 above -0.
    function max(uint32 a, uint32 b) internal pure returns (uint32) {
        if (isNaN(a) || isNaN(b)) return NAN;
        return key(a) < key(b) ? b : a;
    }

    function min(uint32 a, uint32 b) internal pure returns (uint32) {
        if (isNaN(a) || isNaN(b)) return NAN;
        return key(a) < key(b) ? a : b;
    }

    /// Nearest integer, ties to even; NaN gives 0, out-of-range values saturate (as WGSL and the reference).
    function roundToI32(uint32 a) internal pure returns (int256) {
        unchecked {
            if (isNaN(a)) return 0;
            bool negative = a & SIGN != 0;
            if (a & ABS >= 0x4f000000) return negative ? -int256(2 ** 31) : int256(2 ** 31 - 1); // |a| >= 2^31
            if (a & ABS == 0) return 0;
            (uint256 m, int256 e) = unpack(a);
            uint256 q;
            if (e >= 0) {
                q = m << uint256(e);
            } else {
                uint256 s = uint256(-e);
                if (s <= 24) {
                    q = m >> s;
                    uint256 rem = m & ((1 << s) - 1);
                    uint256 half = 1 << (s - 1);
                    if (rem > half || (rem == half && q & 1 == 1)) q++;
                }
            }
            return negative ? -int256(q) : int256(q);
        }
    }

    function fromI32(int256 n) internal pure returns (uint32) {
        if (n == 0) return 0;
        return round(n < 0, uint256(n < 0 ? -n : n), 0, false);
    }

    /// a · 2^n rounded once; n clamped to +-400, past which every finite f32 has over- or underflowed.
    function ldexp(uint32 a, int256 n) internal pure returns (uint32) {
        unchecked {
            if (isNaN(a)) return NAN;
            if (a & ABS == INF || a & ABS == 0) return a;
            if (n > 400) n = 400;
            if (n < -400) n = -400;
            (uint256 m, int256 e) = unpack(a);
            return round(a & SIGN != 0, m, e + n, false);
        }
    }
}
