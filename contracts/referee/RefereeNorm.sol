// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NormOps} from "./NormOps.sol";

/// The referee's recompute for a training step's statistics (NormOps: layernorm's saved mean and std, the
/// global gradient norm and clip scale in chunks; ids 37 to 41) and a market's TASK_RULE decision (Score.sol;
/// id 42), operand layouts in NormOps.sol.
/// RefereeGrad forwards these ids here, as it forwards the row ops to RefereeRows, for EIP-170's size
/// limit. Every other id is refused with OpNotSupported, never guessed at.
contract RefereeNorm {
    error OpNotSupported(uint8 op);

    function supported(uint8 op) public pure returns (bool) {
        return NormOps.covers(op);
    }

    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external pure returns (uint32) {
        if (!NormOps.covers(op)) revert OpNotSupported(op);
        return NormOps.recompute(op, a, b);
    }
}
