// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

// The dynamic parimutuel cost function, in integers (docs/markets.md#economics). Free functions: they
// are compiled into the market, never deployed on their own.

// Supplies stay below 2^112 base units, so k² · Σ qᵢ² < 10^4 · 20 · 2^224 < 2^247 never overflows.
uint256 constant MAX_SUPPLY = 2 ** 112;

// The pool a market holds when its supplies' squares sum to `sumSq`: ⌈k · √sumSq⌉ = ⌈√(k² · sumSq)⌉,
// exact. Rounding up keeps the pool at or above the real-valued cost, by less than one base unit, and
// makes every trade's price a difference of two pools, so any path to the same supplies costs the same.
function poolOf(uint256 k, uint256 sumSq) pure returns (uint256) {
    return Math.sqrt(k * k * sumSq, Math.Rounding.Ceil);
}

// A fee of `bps` basis points on `amount`, rounded up (the market never under-charges).
function feeOn(uint256 amount, uint256 bps) pure returns (uint256) {
    return Math.mulDiv(amount, bps, 10_000, Math.Rounding.Ceil);
}
