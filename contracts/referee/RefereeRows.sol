// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RowGrads} from "./RowGrads.sol";

/// The referee's recompute for a training step's loss and backward row ops (RowGrads: the cross-entropy
/// loss of a row and its gradient, softmax's and layernorm's backward; ids 20, 27 to 31 and 43, operand
/// layouts in RowGrads.sol). RefereeGrad forwards these ids here: the row ops do not fit beside its own
/// under EIP-170's size limit. Every other id is refused with OpNotSupported, never guessed at.
contract RefereeRows {
    error OpNotSupported(uint8 op);

    function supported(uint8 op) public pure returns (bool) {
        return RowGrads.covers(op);
    }

    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external pure returns (uint32) {
        if (!RowGrads.covers(op)) revert OpNotSupported(op);
        return RowGrads.recompute(op, a, b);
    }
}
