// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {Bq15} from "./Bq15.sol";
import {Grads} from "./Grads.sol";
import {RefereeRows} from "./RefereeRows.sol";
import {RefereeNorm} from "./RefereeNorm.sol";

/// The referee's recompute for the ops a training step adds to Referee's: the element-wise backward
/// and the matmul's fused epilogue. Same interface and rules as Referee.recompute: one output element
/// from the inputs it depends on, bit for bit with src/kernels, and every other op id (src/disputes/
/// onchain.ts lists which contract takes which) refused with OpNotSupported, never guessed at. A
/// separate contract because Referee is near EIP-170's size limit with the forward ops alone; the row
/// ops' backward and the cross-entropy (ids 20, 27 to 31 and 43) it forwards to RefereeRows, for the same reason,
/// and a training step's statistics (layernorm's saved mean and std, the chunked gradient norm and clip
/// scale; ids 37 to 41) and a market's TASK_RULE decision (42) to RefereeNorm, so that the game has one contract to ask for every id it does not
/// send to Referee.
contract RefereeGrad {
    /// gelu'(x) · dy, a = [x], b = [dy] (geluTanhGrad, geluErfGrad of src/kernels/elementwise.ts).
    uint8 public constant GELU_TANH_GRAD = 23;
    uint8 public constant GELU_ERF_GRAD = 24;
    /// x · s, a = [x], b = [s] (scaleRef: s as the f32 it rounds to).
    uint8 public constant SCALE = 25;
    /// One element of matmulEpilogue: residual + (dot · scale + bias), each step optional.
    /// a = the row of A (K values), b = [the column of B (K values), flags, scale, bias_j, residual_ij]:
    /// K is a's length and b must hold exactly K + 4 values. flags bit 0: scale, bit 1: bias, bit 2:
    /// residual (the kernel's EPILOGUE constant); the slot of a step that is absent must be 0, so
    /// each element has one encoding. K is 1 to 65,536 (Bq15's BadK otherwise).
    uint8 public constant MATMUL_EPILOGUE = 26;
    /// Bit i set: op i is recomputed here (23..26).
    uint256 private constant SUPPORTED = (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
    /// The row ops (ids 20, 27 to 31 and 43), forwarded: a contract of their own for EIP-170's size limit.
    uint256 private constant ROWS =
        (1 << 20) | (1 << 27) | (1 << 28) | (1 << 29) | (1 << 30) | (1 << 31) | (1 << 43);
    /// The statistics (ids 37 to 41) and a market's decision (42), forwarded to RefereeNorm for the same reason.
    uint256 private constant NORM = (1 << 37) | (1 << 38) | (1 << 39) | (1 << 40) | (1 << 41) | (1 << 42);

    RefereeRows public immutable rows;
    RefereeNorm public immutable norm;

    constructor(RefereeRows rows_, RefereeNorm norm_) {
        rows = rows_;
        norm = norm_;
    }

    error OpNotSupported(uint8 op);
    error BadOperands(uint8 op, uint256 aLength, uint256 bLength);

    function supported(uint8 op) public pure returns (bool) {
        return ((SUPPORTED | ROWS | NORM) >> op) & 1 == 1;
    }

    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external view returns (uint32) {
        if (!supported(op)) revert OpNotSupported(op);
        if ((ROWS >> op) & 1 == 1) return rows.recompute(op, a, b);
        if ((NORM >> op) & 1 == 1) return norm.recompute(op, a, b);
        if (op == MATMUL_EPILOGUE) return matmulEpilogue(a, b);
        if (op >= GELU_TANH_GRAD && op <= SCALE) {
            if (a.length != 1 || b.length != 1) revert BadOperands(op, a.length, b.length);
            if (op == GELU_TANH_GRAD) return Grads.geluTanhGrad(a[0], b[0]);
            if (op == GELU_ERF_GRAD) return Grads.geluErfGrad(a[0], b[0]);
            return F32.mul(a[0], b[0]);
        }
        // More backward ops are dispatched here as they are built: add the id to SUPPORTED and a branch
        // above this line (or, for another row op, to RowGrads and ROWS; for another statistic, NormOps and NORM).
        revert OpNotSupported(op);
    }

    /// The dot of a and b's first K values, then ·scale, + bias, residual + in the reference's order
    /// (epilogueRef: scaleRef, binaryRef('add', y, bias), binaryRef('add', residual, y)).
    function matmulEpilogue(uint32[] calldata a, uint32[] calldata b) private pure returns (uint32) {
        uint256 k = a.length;
        if (b.length != k + 4) revert BadOperands(MATMUL_EPILOGUE, a.length, b.length);
        uint32 flags = b[k];
        bool bad = flags > 7;
        for (uint256 i = 0; i < 3; i++) if ((flags >> i) & 1 == 0 && b[k + 1 + i] != 0) bad = true;
        if (bad) revert BadOperands(MATMUL_EPILOGUE, a.length, b.length);
        uint32 y = Bq15.dot(a, b[:k]);
        if (flags & 1 != 0) y = F32.mul(y, b[k + 1]);
        if (flags & 2 != 0) y = F32.add(y, b[k + 2]);
        if (flags & 4 != 0) y = F32.add(b[k + 3], y);
        return y;
    }
}
