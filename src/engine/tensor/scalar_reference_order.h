#pragma once
// The float order of the reference's x86 vec_dot for Q5_K and Q6_K against
// Q8_K, for the scalar kernels: integer products go to 8 int32 lanes (lane
// n takes the elements e with (e % 32) / 4 == n), every super-block adds
// d_a * d_w * lane[n] to lane_acc[n] with one FMA, the 8 lanes fold as
// halves, pairs, then the two, and Q5_K's min term is one float,
// min_sum = fma(-d_a * dmin_w, integer min total, min_sum), added last.
//
// Other orders give the same sums up to float rounding, which a trained
// model never notices; the random gemma3 fixture turns one ulp into a 1%
// logit change (its fp16 GELU table), and only this order reproduces the
// reference's logits there (logits_conformance_test). The SIMD kernels keep
// faster orders and are tested against these with a tolerance.
// Scalar code only.
#include <cmath>

namespace clawbot::kernels::scalar {

constexpr int reference_lane(int element) { return (element % 32) / 4; }

class ReferenceOrderSum {
public:
    // One super-block: its 8 integer lanes times d_a * d_w.
    void add_lanes(float d, const int (&lanes)[8]) {
        for (int n = 0; n < 8; ++n) lane_acc_[n] = std::fma(d, static_cast<float>(lanes[n]), lane_acc_[n]);
    }
    // One super-block's min term: -d_a * dmin_w times its integer total.
    void add_min(float neg_dmin, int total) { min_sum_ = std::fma(neg_dmin, static_cast<float>(total), min_sum_); }

    float total() const {
        float half[4];
        for (int l = 0; l < 4; ++l) half[l] = lane_acc_[l + 4] + lane_acc_[l];
        return ((half[0] + half[2]) + (half[1] + half[3])) + min_sum_;
    }

private:
    float lane_acc_[8] = {};
    float min_sum_ = 0.0f;
};

}  // namespace clawbot::kernels::scalar
