// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReferee, IRefereed} from "./IReferee.sol";

/// @title The interim market referee
/// @notice Until an on-chain referee re-executes settlements, a named owner (a multisig on a real chain)
/// re-runs both receipts off-chain (src/markets/settlement.ts recheckSettlement) and rules. It is
/// trusted: it can rule either way. What bounds it: it rules only on markets that were disputed and name
/// it, only between the two posted outcomes, and only before the market's timeout, after which the
/// market expires, refunds holders and returns both bonds without it (docs/markets.md).
contract InterimReferee is IReferee {
    address public immutable owner;

    event DisputeOpened(
        address indexed market,
        bytes32 proposed,
        uint256 proposedOutcome,
        bytes32 countered,
        uint256 counterOutcome
    );
    event Ruled(address indexed market, bool challengerWins);

    error NotOwner();

    constructor(address owner_) {
        owner = owner_;
    }

    function disputeOpened(
        bytes32 proposed,
        uint256 proposedOutcome,
        bytes32 countered,
        uint256 counterOutcome
    ) external {
        // Anyone can call this: it only logs. The market itself checks who rules.
        emit DisputeOpened(msg.sender, proposed, proposedOutcome, countered, counterOutcome);
    }

    function rule(address market, bool challengerWins) external {
        if (msg.sender != owner) revert NotOwner();
        emit Ruled(market, challengerWins);
        IRefereed(market).rule(challengerWins);
    }
}
