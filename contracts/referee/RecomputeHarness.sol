// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// What every referee contract answers (Referee, RefereeGrad).
interface IRecompute {
    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external view returns (uint32);
}

/// Many calls of a deployed referee's own recompute in one eth_call, for differential tests
/// (src/disputes/onchainGrads.test.ts): unlike OpsHarness, which calls the libraries, this goes through
/// the contract's dispatch and operand checks exactly as a game would. Not part of any game.
contract RecomputeHarness {
    error LengthMismatch(uint256 a, uint256 b);

    function recomputeMany(IRecompute referee, uint8 op, uint32[][] calldata a, uint32[][] calldata b)
        external
        view
        returns (uint32[] memory out)
    {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new uint32[](a.length);
        for (uint256 i = 0; i < a.length; i++) out[i] = referee.recompute(op, a[i], b[i]);
    }
}
