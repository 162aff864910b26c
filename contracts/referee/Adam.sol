// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {Gelu} from "./Gelu.sol";

/// One element of the AdamW update (src/kernels/adamw.ts adamwRef), with its scalars derived here as
/// adamwScalars derives them: 1 - beta by one F32 sub, the bias corrections 1 - beta^t by binary
/// powering in double-f32 (schedule.ts powPair), never taken from a party.
library Adam {
    using F32 for uint32;

    uint32 private constant ONE = 0x3f800000;

    error BadHyperparameters();

    /// The update's f32 scalars, as the shader receives them.
    struct Scalars {
        uint32 lr;
        uint32 beta1;
        uint32 beta2;
        uint32 oneMinusBeta1;
        uint32 oneMinusBeta2;
        uint32 bias1;
        uint32 bias2;
        uint32 eps;
        uint32 weightDecay;
        uint32 gradScale;
    }

    /// config = [step, lr, beta1, beta2, eps, weightDecay, gradScale]: step an integer, the rest f32 bits.
    function scalars(uint32[] memory config) internal pure returns (Scalars memory s) {
        if (config.length != 7) revert BadHyperparameters();
        uint256 step = config[0];
        if (step < 1 || step > 2 ** 31 - 1) revert BadHyperparameters();
        for (uint256 i = 1; i < 7; i++) if (config[i] & F32.ABS >= F32.INF) revert BadHyperparameters();
        (s.lr, s.beta1, s.beta2, s.eps) = (config[1], config[2], config[3], config[4]);
        (s.weightDecay, s.gradScale) = (config[5], config[6]);
        // beta in [0, 1): -0 counts as 0, as `b >= 0` does
        if (F32.lt(s.beta1, 0) || !F32.lt(s.beta1, ONE) || F32.lt(s.beta2, 0) || !F32.lt(s.beta2, ONE)) {
            revert BadHyperparameters();
        }
        (s.oneMinusBeta1, s.oneMinusBeta2) = (ONE.sub(s.beta1), ONE.sub(s.beta2));
        (s.bias1, s.bias2) = (biasCorrection(s.beta1, step), biasCorrection(s.beta2, step));
    }

    /// 1 - beta^t: the pair's high part subtracted exactly (two-sum), then its low part.
    function biasCorrection(uint32 beta, uint256 t) internal pure returns (uint32) {
        (uint32 hi, uint32 lo) = powPair(beta, t);
        (uint32 s, uint32 e) = Gelu.twoSum(ONE, hi.neg());
        return s.add(e.sub(lo));
    }

    /// beta^t as hi + lo by left-to-right binary powering, each step in double-f32.
    function powPair(uint32 beta, uint256 t) internal pure returns (uint32 hi, uint32 lo) {
        (hi, lo) = (ONE, 0);
        if (t == 0) return (hi, lo);
        uint256 bit = 0;
        while (t >> (bit + 1) != 0) bit++;
        for (uint256 i = bit + 1; i > 0; i--) {
            (hi, lo) = mulPair(hi, lo, hi, lo);
            if ((t >> (i - 1)) & 1 == 1) (hi, lo) = mulPair(hi, lo, beta, 0);
        }
    }

    /// (ah + al)(bh + bl): the exact product of the highs plus the cross terms, fast two-sum.
    function mulPair(uint32 ah, uint32 al, uint32 bh, uint32 bl) private pure returns (uint32 s, uint32 e) {
        (uint32 p, uint32 pe) = Gelu.twoProd(ah, bh);
        uint32 b = pe.add(ah.mul(bl).add(al.mul(bh)));
        s = p.add(b);
        e = b.sub(s.sub(p));
    }

    /// The new (p, m, v) of one element.
    function update(Scalars memory s, uint32 p, uint32 grad, uint32 m, uint32 v)
        internal
        pure
        returns (uint32 pNew, uint32 mNew, uint32 vNew)
    {
        uint32 g = grad.mul(s.gradScale);
        mNew = s.beta1.mul(m).add(s.oneMinusBeta1.mul(g));
        vNew = s.beta2.mul(v).add(s.oneMinusBeta2.mul(g.mul(g)));
        uint32 mHat = mNew.div(s.bias1);
        uint32 vHat = vNew.div(s.bias2);
        uint32 step = mHat.div(vHat.sqrt().add(s.eps)).add(s.weightDecay.mul(p));
        pNew = p.sub(s.lr.mul(step));
    }
}
