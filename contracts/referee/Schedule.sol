// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {Gelu} from "./Gelu.sol";
import {SoftFloat} from "./SoftFloat.sol";

/// The learning-rate schedule as src/kernels/schedule.ts lrSchedule computes it, line for line: linear
/// warmup, then cos(pi r / 2)^2 decay from peak to min, then min, each step one correctly rounded F32
/// operation. The dispute game derives a step's learning rate here from the program's schedule, so a
/// party cannot choose the rate its disputed AdamW step used.
library Schedule {
    using F32 for uint32;

    uint32 private constant HALF = 0x3f000000;
    uint32 private constant PI_HI = 0x40490fdb;
    uint32 private constant PI_LO = 0xb3bbbd2e;
    /// lrSchedule's bounds on step, warmup and total.
    uint256 private constant MAX_INT = 2 ** 31 - 2;

    error BadSchedule();

    function sinPiCoefs() private pure returns (uint32[] memory c) {
        c = new uint32[](4);
        (c[0], c[1], c[2], c[3]) = (0x3da83c1a, 0xbf196966, 0x402335e3, 0xc0a55de7);
    }

    function cosPiCoefs() private pure returns (uint32[] memory c) {
        c = new uint32[](6);
        (c[0], c[1], c[2], c[3], c[4], c[5]) = (0xbcd368f9, 0x3e70fa83, 0xbfaae9e4, 0x4081e0f8, 0xc09de9e6, 0x3f800000);
    }

    /// sin(pi t) for |t| <= 1/4: t · PI_HI exactly (two-product), then the small terms, one rounding.
    function sinPiSmall(uint32 t) internal pure returns (uint32) {
        uint32 z = t.mul(t);
        (uint32 p, uint32 e) = Gelu.twoProd(t, PI_HI);
        return p.add(e.add(t.mul(PI_LO.add(z.mul(SoftFloat.poly(sinPiCoefs(), z))))));
    }

    /// cos(pi t) for |t| <= 1/4.
    function cosPiSmall(uint32 t) internal pure returns (uint32) {
        return SoftFloat.poly(cosPiCoefs(), t.mul(t));
    }

    /// The learning rate (f32 bits) for a 0-based step; reverts BadSchedule where lrSchedule throws.
    function lr(uint32 peak, uint32 minLr, uint256 warmup, uint256 total, uint256 step) internal pure returns (uint32) {
        if (step > MAX_INT || warmup > MAX_INT || total > MAX_INT || total < warmup) revert BadSchedule();
        if (peak & F32.ABS >= F32.INF || minLr & F32.ABS >= F32.INF) revert BadSchedule();
        if (step < warmup) return peak.mul(F32.fromI32(int256(step + 1)).div(F32.fromI32(int256(warmup))));
        if (step >= total) return minLr;
        uint32 span = F32.fromI32(int256(total - warmup));
        uint32 r = F32.fromI32(int256(step - warmup)).div(span);
        uint32 h = F32.lt(HALF, r)
            ? sinPiSmall(F32.fromI32(int256(total - step)).div(span).mul(HALF))
            : cosPiSmall(r.mul(HALF));
        return minLr.add(h.mul(h).mul(peak.sub(minLr)));
    }
}
