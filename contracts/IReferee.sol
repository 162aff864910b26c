// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What a market's referee implements
/// @notice A disputed market tells its referee (fixed at creation) about the dispute; the referee
/// answers by calling the market's `rule(challengerWins)` before the market's referee timeout. The
/// on-chain referee that re-executes settlements will implement this; until then InterimReferee does.
interface IReferee {
    /// A market this referee rules on was disputed: `proposed` and `countered` are the two settlement
    /// receipts' hashes, for outcomes `proposedOutcome` and `counterOutcome`.
    function disputeOpened(
        bytes32 proposed,
        uint256 proposedOutcome,
        bytes32 countered,
        uint256 counterOutcome
    ) external;
}

/// What a market accepts from its referee.
interface IRefereed {
    function rule(bool challengerWins) external;
}
