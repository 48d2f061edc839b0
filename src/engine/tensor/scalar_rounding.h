#pragma once
// Round half to even without a libm call (std::nearbyint is one on baseline
// x86-64, and the quantizers round every element). Scalar code only.
#include <cmath>

namespace clawbot::kernels {

// Adding 1.5 * 2^23 leaves a float no fraction bits, so the addition itself
// rounds, in the default mode: to nearest, ties to even, exactly like the
// SIMD float-to-int conversions. Valid for |x| <= 2^22; larger values and
// NaN come back as +-2^22, which every caller clamps to its code range.
inline int round_half_even(float x) {
    constexpr float kLimit = 0x1p22f;
    if (!(std::fabs(x) <= kLimit)) return x > 0 ? (1 << 22) : -(1 << 22);
    return static_cast<int>((x + 0x1.8p23f) - 0x1.8p23f);
}

}  // namespace clawbot::kernels
