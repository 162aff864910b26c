// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Score} from "./Score.sol";

/// Pure entry points to Score for its differential tests (src/disputes/onchainScore.test.ts): f64 addition
/// and comparison, and the market decision, many cases an eth_call. Not part of any game; nothing here holds
/// state.
contract ScoreHarness {
    error LengthMismatch(uint256 a, uint256 b);

    function f64AddMany(uint64[] calldata a, uint64[] calldata b) external pure returns (uint64[] memory out) {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new uint64[](a.length);
        for (uint256 i = 0; i < a.length; i++) out[i] = Score.f64Add(a[i], b[i]);
    }

    function f64GtMany(uint64[] calldata a, uint64[] calldata b) external pure returns (bool[] memory out) {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new bool[](a.length);
        for (uint256 i = 0; i < a.length; i++) out[i] = Score.f64Gt(a[i], b[i]);
    }

    /// Each widened f32 (f64FromF32), so the tests can pin the widening on its own.
    function f64FromF32Many(uint32[] calldata x) external pure returns (uint64[] memory out) {
        out = new uint64[](x.length);
        for (uint256 i = 0; i < x.length; i++) out[i] = Score.f64FromF32(x[i]);
    }

    function taskDecideMany(uint32[][] calldata losses, uint32[][] calldata layouts)
        external
        pure
        returns (uint32[] memory out)
    {
        if (losses.length != layouts.length) revert LengthMismatch(losses.length, layouts.length);
        out = new uint32[](losses.length);
        for (uint256 i = 0; i < losses.length; i++) out[i] = Score.taskDecide(losses[i], layouts[i]);
    }
}
