// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Collateral for the dev chain and the tests
/// @notice Anyone mints any amount: it is worth nothing, and exists so markets can be tried without a
/// real token. Never deployed to a real chain; markets there take any ERC-20 by address.
contract TestToken is ERC20 {
    constructor() ERC20("Lockstep Test Dollar", "LTD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
