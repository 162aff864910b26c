// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Top-N boards kept sorted on write
/// @notice A board is a storage array of at most LEADERBOARD_SIZE entries, best first, so an app reads
/// ranks with one call and no log scan. An entry packs a value with its peer's registration index
/// (1, 2, … in its swarm) into one word that sorts by value, then by earlier registration: ties are
/// broken by an order that no later write can change. Re-ranking finds both positions by binary search
/// and shifts the entries in between one place each, one storage write per place (about 5,000 gas).
abstract contract Leaderboards {
    uint256 public constant LEADERBOARD_SIZE = 100;

    /// The registration index an entry carries.
    function _entryIndex(uint256 entry) internal pure returns (uint64) {
        return type(uint64).max - uint64(entry & type(uint64).max);
    }

    /// Moves the peer with registration `index`, whose value was `oldValue` and now is `value`, to where
    /// it ranks. It enters a full board only above the last entry (which leaves), and leaves when its
    /// value falls to zero. A peer that falls on a full board stays on it until outranked, so a peer
    /// outside that now ranks higher enters only at its own next write (SwarmCoordinator.reconsider
    /// lets anyone make that write).
    function _rank(uint256[] storage board, uint64 index, uint256 oldValue, uint256 value) internal {
        uint256 entry = _entry(value, index);
        uint256 n = board.length;
        uint256 from = n; // where its entry is; n: not on the board
        if (oldValue != 0) {
            uint256 old = _entry(oldValue, index);
            uint256 found = _lowerBound(board, 0, n, old);
            if (found < n && board[found] == old) from = found;
        }
        bool rising = from < n && entry > board[from];
        if (from == n) {
            if (value == 0) return;
            if (n < LEADERBOARD_SIZE) board.push();
            else if (entry > board[n - 1]) from = n - 1; // the last entry leaves
            else return;
            rising = true;
        }
        if (rising) {
            uint256 to = _lowerBound(board, 0, from, entry);
            for (uint256 i = from; i > to; i--) board[i] = board[i - 1];
            board[to] = entry;
        } else if (value == 0) {
            for (uint256 i = from; i + 1 < n; i++) board[i] = board[i + 1];
            board.pop();
        } else {
            uint256 to = _lowerBound(board, from + 1, n, entry) - 1;
            for (uint256 i = from; i < to; i++) board[i] = board[i + 1];
            board[to] = entry;
        }
    }

    /// The value above the index, the index inverted so that a larger word ranks higher and of equal
    /// values the earlier peer. Values past 2^192 (a claim is at most 2^128) would tie.
    function _entry(uint256 value, uint64 index) private pure returns (uint256) {
        if (value > type(uint192).max) value = type(uint192).max;
        return (value << 64) | (type(uint64).max - index);
    }

    /// The first position in [lo, hi) whose entry is not above `entry` (boards are sorted high to low).
    function _lowerBound(uint256[] storage board, uint256 lo, uint256 hi, uint256 entry) private view returns (uint256) {
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (board[mid] > entry) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
