// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {F32} from "./F32.sol";

/// The exact fixed-point sum of src/kernels/fixed.ts (docs/determinism-reductions.md): every f32 term
/// in units of 2^(eMax-214), rounded to nearest even below that, summed exactly (int256 here, BigInt
/// there), then rounded once to f32. NaN, opposite infinities, infinities and the sign of a zero sum
/// come from flags, as fixedToF32Bits and fixedDivToF32Bits decide them.
library FixedSum {
    uint256 internal constant GUARD = 64;
    uint256 private constant NAN = 1;
    uint256 private constant POS_INF = 2;
    uint256 private constant NEG_INF = 4;
    uint256 private constant NEG_ZERO = 8;
    uint256 private constant NOT_NEG_ZERO = 16;

    /// The accumulator before rounding: the total in units of 2^(max(eMax,1)-150-GUARD), its eMax (the
    /// largest exponent field, at least 1; 0 when no term is finite) and the NaN/Inf/-0 flags.
    struct Acc {
        int256 total;
        uint256 eMax;
        uint256 flags;
    }

    function accumulate(uint32[] memory x) internal pure returns (Acc memory a) {
        for (uint256 i = 0; i < x.length; i++) {
            uint256 ex = (x[i] >> 23) & 0xff;
            if (ex != 255 && ex > a.eMax) a.eMax = ex;
            if (ex != 255 && a.eMax == 0) a.eMax = 1; // fxExponent: max(field, 1) for finite values
        }
        return accumulateAt(x, a.eMax);
    }

    /// The same at a fixed eMax that the caller knows bounds every term (softmax: exp <= 1, eMax 128).
    function accumulateAt(uint32[] memory x, uint256 eMax) internal pure returns (Acc memory a) {
        a.eMax = eMax;
        for (uint256 i = 0; i < x.length; i++) {
            uint32 b = x[i];
            uint256 ex = (b >> 23) & 0xff;
            a.flags |= b == F32.SIGN ? NEG_ZERO : NOT_NEG_ZERO;
            if (ex == 255) a.flags |= b & 0x7fffff != 0 ? NAN : (b & F32.SIGN != 0 ? NEG_INF : POS_INF);
            a.total += term(b, eMax);
        }
    }

    /// One term in units of 2^(eMax-214): |term| < 2^88, so int256 holds any realistic sum exactly.
    function term(uint32 b, uint256 eMax) internal pure returns (int256) {
        uint256 ex = (b >> 23) & 0xff;
        if (ex == 255) return 0;
        uint256 m = (b & 0x7fffff) | (ex != 0 ? 0x800000 : 0);
        int256 shift = int256(ex == 0 ? 1 : ex) - int256(eMax) + int256(GUARD);
        uint256 t;
        if (shift >= 0) t = m << uint256(shift);
        else t = rneShift(m, uint256(-shift));
        return b & F32.SIGN != 0 ? -int256(t) : int256(t);
    }

    /// RNE(m / 2^s) for m < 2^24 and s >= 1.
    function rneShift(uint256 m, uint256 s) internal pure returns (uint256 q) {
        if (s > 24) return 0;
        q = m >> s;
        uint256 rem = m & ((1 << s) - 1);
        uint256 half = 1 << (s - 1);
        if (rem > half || (rem == half && q & 1 == 1)) q++;
    }

    /// NaN/Inf flags to the f32 result; ok is false when every term was finite.
    function special(uint256 flags) internal pure returns (bool ok, uint32 bits) {
        if (flags & NAN != 0 || flags & (POS_INF | NEG_INF) == POS_INF | NEG_INF) return (true, F32.NAN);
        if (flags & POS_INF != 0) return (true, F32.INF);
        if (flags & NEG_INF != 0) return (true, F32.INF | F32.SIGN);
    }

    function signedZero(uint256 flags) private pure returns (uint32) {
        return flags & (NEG_ZERO | NOT_NEG_ZERO) == NEG_ZERO ? F32.SIGN : 0;
    }

    function lsbOf(uint256 eMax) private pure returns (int256) {
        return int256(eMax == 0 ? 1 : eMax) - 150 - int256(GUARD);
    }

    /// reduce sum: the sum rounded once.
    function sum(uint32[] memory x) internal pure returns (uint32) {
        return toF32(accumulate(x));
    }

    /// reduce mean: the sum divided by the count, rounded once.
    function mean(uint32[] memory x) internal pure returns (uint32) {
        return divToF32(accumulate(x), x.length);
    }

    /// fixedToF32Bits.
    function toF32(Acc memory a) internal pure returns (uint32) {
        (bool isSpecial, uint32 s) = special(a.flags);
        if (isSpecial) return s;
        if (a.total == 0) return signedZero(a.flags);
        bool neg = a.total < 0;
        return F32.round(neg, uint256(neg ? -a.total : a.total), lsbOf(a.eMax), false);
    }

    /// fixedDivToF32Bits: the quotient keeps 127 bits, the remainder is the sticky bit.
    function divToF32(Acc memory a, uint256 n) internal pure returns (uint32) {
        (bool isSpecial, uint32 s) = special(a.flags);
        if (isSpecial) return s;
        if (a.total == 0) return signedZero(a.flags);
        bool neg = a.total < 0;
        uint256 mag = uint256(neg ? -a.total : a.total);
        uint256 sh = 127 - Math.log2(mag); // mag < 2^127 for any vector under 2^39 terms
        uint256 num = mag << sh;
        return F32.round(neg, num / n, lsbOf(a.eMax) - int256(sh), num % n != 0);
    }
}
