// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedSum} from "./FixedSum.sol";
import {NormOps} from "./NormOps.sol";

/// Pure entry points to NormOps for its differential tests (src/disputes/onchainNorm.test.ts): one element
/// as a referee would recompute it (`recomputeMany`, the layouts in NormOps' NatSpec), and whole rows or
/// chunks at once, each row's or chunk's shared part computed once, so thousands of outputs fit one
/// eth_call. Not part of any game; nothing here holds state.
contract NormHarness {
    error LengthMismatch(uint256 a, uint256 b);

    /// Many elements of op, each through NormOps.recompute (the referee's path, operand checks included).
    function recomputeMany(uint8 op, uint32[][] calldata a, uint32[][] calldata b)
        external
        pure
        returns (uint32[] memory out)
    {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new uint32[](a.length);
        for (uint256 i = 0; i < a.length; i++) out[i] = NormOps.recompute(op, a[i], b[i]);
    }

    /// Each row's layernorm mean and std (ops 37 and 38).
    function layernormStats(uint32[][] calldata x, uint32[] calldata eps)
        external
        pure
        returns (uint32[] memory mean, uint32[] memory std)
    {
        if (x.length != eps.length) revert LengthMismatch(x.length, eps.length);
        (mean, std) = (new uint32[](x.length), new uint32[](x.length));
        for (uint256 r = 0; r < x.length; r++) {
            mean[r] = FixedSum.mean(x[r]);
            std[r] = NormOps.layernormStd(x[r], eps[r]);
        }
    }

    /// Each chunk's scale word (op 39).
    function exponents(uint32[][] calldata chunks) external pure returns (uint32[] memory out) {
        out = new uint32[](chunks.length);
        for (uint256 c = 0; c < chunks.length; c++) out[c] = NormOps.exponent(chunks[c]);
    }

    /// Each chunk's five words at its scale (op 40), flattened.
    function squares(uint32[][] calldata chunks, uint32[] calldata scale) external pure returns (uint32[] memory out) {
        if (chunks.length != scale.length) revert LengthMismatch(chunks.length, scale.length);
        out = new uint32[](chunks.length * NormOps.WORDS);
        for (uint256 c = 0; c < chunks.length; c++) {
            uint32[5] memory w = NormOps.squares(chunks[c], int256(uint256(scale[c] >> 23)) - 127, scale[c]);
            for (uint256 j = 0; j < NormOps.WORDS; j++) out[c * NormOps.WORDS + j] = w[j];
        }
    }

    /// Each case's seven outputs of op 41 (norm, clip scale, the combined words), flattened.
    function clips(uint32[][] calldata words, uint32[] calldata scale, uint32[] calldata maxNorm)
        external
        pure
        returns (uint32[] memory out)
    {
        if (words.length != scale.length || words.length != maxNorm.length) revert LengthMismatch(words.length, scale.length);
        uint256 n = 2 + NormOps.WORDS;
        out = new uint32[](words.length * n);
        uint32[] memory b = new uint32[](3);
        for (uint256 i = 0; i < words.length; i++) {
            (b[1], b[2]) = (scale[i], maxNorm[i]);
            b[0] = 0;
            out[i * n] = NormOps.recompute(NormOps.NORM_CLIP, words[i], b);
            b[0] = 1;
            out[i * n + 1] = NormOps.recompute(NormOps.NORM_CLIP, words[i], b);
            (uint256 total, uint256 flags) = NormOps.readChunks(words[i]);
            uint32[5] memory w = NormOps.chunkWords(total, flags);
            for (uint256 j = 0; j < NormOps.WORDS; j++) out[i * n + 2 + j] = w[j];
        }
    }
}
