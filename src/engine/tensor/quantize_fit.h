#pragma once
// Scale searches shared by the block quantizers (float -> quantized type):
// each tries several step sizes near the plain min/max or absmax fit and
// keeps the least-squares refit with the smallest weighted error.
#include <cmath>

namespace clawbot::kernels {

inline int clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// value ~= scale * code - offset, code in [0, n_codes), offset >= 0.
struct AffineFit {
    float scale = 0.0f;
    float offset = 0.0f;
};

// The element of largest magnitude, signed; the first one on ties (0 for
// an all-zero block).
float signed_absmax(const float* x, int n);

// Scale and offset for value ~= scale * code - offset, code in [0, n_codes),
// weighting each element's error by w; n <= 256.
AffineFit search_affine(const float* x, const float* w, int n, int n_codes);

// Scale for value ~= scale * code, code in [-half_codes, half_codes): the
// element of largest magnitude decides the sign, so it can use the extra
// negative code. Errors are weighted by x^2.
float search_symmetric(const float* x, int n, int half_codes);

// IQ4_NL / IQ4_XS: the index of the level (kIq4Levels) nearest to v, the
// x^2-weighted squared error of n values on the levels times `scale`, and the
// scale for n values: the value of largest magnitude maps to the outer level
// on its side, then nearby steps are tried.
int nearest_iq4_level(float v);
float iq4_error(const float* x, int n, float scale);
float search_iq4_scale(const float* x, int n);

// The integer multiple of `unit` next to `value` from below or above,
// whichever gives the smaller error: rounding a scale down can push the
// extreme codes into clamping, so plain rounding is not always best.
struct Multiples {
    int lo, hi;
};
inline Multiples bracket(float value, float unit, int min_code, int max_code) {
    if (unit == 0) return {0, 0};
    const float ratio = value / unit;
    return {clamp(static_cast<int>(std::floor(ratio)), min_code, max_code),
            clamp(static_cast<int>(std::ceil(ratio)), min_code, max_code)};
}

}  // namespace clawbot::kernels
