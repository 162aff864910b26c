// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Market} from "./Market.sol";

/// @title Creates AI-settled markets
/// @notice Each market is an EIP-1167 clone of one Market implementation, initialized and funded in
/// the same transaction (the creator approves this factory for liquidity). The factory fixes what a
/// creator must not choose for itself: the ReceiptRegistry whose EIP-712 domain receipts are signed
/// for, the treasury that takes the protocol's part of the fee, and the referee that rules disputes.
contract MarketFactory {
    using SafeERC20 for IERC20;

    address public immutable implementation;
    address public immutable registry;
    address public immutable treasury;
    address public immutable referee;

    address[] private markets;
    mapping(address => bool) public isMarket;

    event MarketCreated(
        address indexed market,
        address indexed creator,
        address indexed collateral,
        string question,
        string category
    );

    error ZeroAddress();

    constructor(address implementation_, address registry_, address treasury_, address referee_) {
        if (
            implementation_ == address(0) ||
            registry_ == address(0) ||
            treasury_ == address(0) ||
            referee_ == address(0)
        ) revert ZeroAddress();
        implementation = implementation_;
        registry = registry_;
        treasury = treasury_;
        referee = referee_;
    }

    /// A new market with the sender as creator; it takes `c.liquidity` less whatever does not fit an
    /// equal seed (never more) from the sender.
    function createMarket(
        Market.Config calldata c,
        Market.Terms calldata t
    ) external returns (address market) {
        market = Clones.clone(implementation);
        uint256 amount = Market(market).initialize(msg.sender, c, t, registry, treasury, referee);
        c.collateral.safeTransferFrom(msg.sender, market, amount);
        markets.push(market);
        isMarket[market] = true;
        emit MarketCreated(market, msg.sender, address(c.collateral), t.question, t.category);
    }

    function marketCount() external view returns (uint256) {
        return markets.length;
    }

    /// Markets [start, end) in creation order (end clamped to the count).
    function marketsBetween(uint256 start, uint256 end) external view returns (address[] memory out) {
        if (end > markets.length) end = markets.length;
        if (start >= end) return out;
        out = new address[](end - start);
        for (uint256 i = start; i < end; ++i) out[i - start] = markets[i];
    }
}
