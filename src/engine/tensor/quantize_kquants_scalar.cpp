// float -> Q4_K and Q6_K. Each sub-block's scale (and Q4_K's offset) is
// found by a small search: try several step sizes near the min/max fit,
// refit the scale to the resulting codes by weighted least squares, keep the
// fit with the smallest weighted error. The super-block then stores the
// sub-block scales as 6- or 8-bit multiples of one fp16 factor, and the codes
// are recomputed against the scales as they will really be decoded.
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "engine/tensor/block_fields.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/scalar_rounding.h"

namespace clawbot::kernels::scalar {
namespace {

int clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// value ~= scale * code - offset, code in [0, n_codes), offset >= 0.
struct AffineFit {
    float scale = 0.0f;
    float offset = 0.0f;
};

// Weighted sums over one sub-block for fixed codes q; they determine both
// the least-squares fit and its error, so each candidate costs one pass.
// Float is plenty for 32 terms; the fit and error formulas use double.
struct CodeSums {
    float w = 0, q = 0, qq = 0, x = 0, qx = 0, xx = 0;
};

CodeSums code_sums(const float* x, const float* w, const int* q, int n) {
    CodeSums s;
    for (int i = 0; i < n; ++i) {
        const float wq = w[i] * static_cast<float>(q[i]), wx = w[i] * x[i];
        s.w += w[i];
        s.q += wq;
        s.qq += wq * static_cast<float>(q[i]);
        s.x += wx;
        s.qx += wq * x[i];
        s.xx += wx * x[i];
    }
    return s;
}

// Least-squares scale and offset for the codes; an offset that would come
// out negative (the data do not reach below 0) is pinned to 0, because Q4_K
// stores offsets unsigned.
AffineFit fit_affine(const CodeSums& s) {
    const double w = s.w, q = s.q, qq = s.qq, x = s.x, qx = s.qx;
    AffineFit fit;
    const double det = w * qq - q * q;
    if (det > 0) {
        fit.scale = static_cast<float>((w * qx - q * x) / det);
        fit.offset = static_cast<float>(-(qq * x - q * qx) / det);
    }
    if (det <= 0 || fit.offset < 0) {
        fit.offset = 0;
        fit.scale = qq > 0 ? static_cast<float>(qx / qq) : 0.0f;
    }
    return fit;
}

// sum w (scale q - offset - x)^2, expanded in the sums.
double affine_error(const CodeSums& s, AffineFit f) {
    const double a = f.scale, m = f.offset;
    return a * a * s.qq + m * m * s.w + static_cast<double>(s.xx) - 2 * a * m * s.q - 2 * a * s.qx + 2 * m * s.x;
}

AffineFit search_affine(const float* x, const float* w, int n, int n_codes) {
    float lo = 0.0f, hi = x[0];
    for (int i = 0; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (hi <= lo) return AffineFit{0.0f, -lo};
    int q[kSuperElems];
    AffineFit best{(hi - lo) / (n_codes - 1), -lo};
    double best_err = INFINITY;
    for (int step = -10; step <= 10; ++step) {
        const float inv = (n_codes - 1 + 0.1f * step) / (hi - lo);
        for (int i = 0; i < n; ++i) q[i] = clamp(round_half_even(inv * (x[i] - lo)), 0, n_codes - 1);
        const CodeSums sums = code_sums(x, w, q, n);
        const AffineFit fit = fit_affine(sums);
        const double err = affine_error(sums, fit);
        if (fit.scale > 0 && err < best_err) {
            best_err = err;
            best = fit;
        }
    }
    return best;
}

// value ~= scale * code, code in [-half_codes, half_codes). The element of
// largest magnitude decides the sign, so it can use the extra negative code.
float search_symmetric(const float* x, int n, int half_codes) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    if (amax == 0.0f) return 0.0f;
    float best_scale = max / -half_codes, best_gain = -1.0f;
    for (int step = -9; step <= 9; ++step) {
        const float inv = -(half_codes + 0.1f * step) / max;
        double sqx = 0, sqq = 0;  // weights x^2 favour the large values
        for (int i = 0; i < n; ++i) {
            const int q = clamp(round_half_even(inv * x[i]), -half_codes, half_codes - 1);
            const double w = static_cast<double>(x[i]) * x[i];
            sqx += w * q * x[i];
            sqq += w * q * q;
        }
        // With the least-squares scale sqx/sqq the error drops by sqx^2/sqq.
        const double gain = sqq > 0 ? sqx * sqx / sqq : 0.0;
        if (gain > best_gain) {
            best_gain = static_cast<float>(gain);
            best_scale = static_cast<float>(sqx / sqq);
        }
    }
    return best_scale;
}

// Signed level (code - 32) of one value under a decoded Q6_K scale / the code
// of one value under a decoded Q4_K scale and offset.
int q4_k_level(float x, float scale, float offset) {
    return scale > 0 ? clamp(round_half_even((x + offset) / scale), 0, 15) : 0;
}

float q4_k_error(const float* x, const float* w, float scale, float offset) {
    float err = 0;
    for (int i = 0; i < 32; ++i) {
        const float diff = scale * q4_k_level(x[i], scale, offset) - offset - x[i];
        err += w[i] * diff * diff;
    }
    return err;
}

// The integer multiple of `unit` next to `value` from below or above,
// whichever gives the smaller error: rounding a scale down can push the
// extreme codes into clamping, so plain rounding is not always best.
struct Multiples {
    int lo, hi;
};
Multiples bracket(float value, float unit, int min_code, int max_code) {
    if (unit == 0) return {0, 0};
    const float ratio = value / unit;
    return {clamp(static_cast<int>(std::floor(ratio)), min_code, max_code),
            clamp(static_cast<int>(std::ceil(ratio)), min_code, max_code)};
}

void quantize_q4_k_block(const float* x, BlockQ4_K& y) {
    AffineFit fits[8];
    float weights[8][32];  // errors on large values cost more
    float max_scale = 0.0f, max_offset = 0.0f;
    for (int s = 0; s < 8; ++s) {
        const float* xs = x + 32 * s;
        float sum_sq = 0.0f;
        for (int i = 0; i < 32; ++i) sum_sq += xs[i] * xs[i];
        const float rms = std::sqrt(sum_sq / 32);
        for (int i = 0; i < 32; ++i) weights[s][i] = rms + std::fabs(xs[i]);
        fits[s] = search_affine(xs, weights[s], 32, 16);
        max_scale = std::fmax(max_scale, fits[s].scale);
        max_offset = std::fmax(max_offset, fits[s].offset);
    }
    std::memset(&y, 0, sizeof y);
    y.d = fp32_to_fp16(max_scale / 63.0f);
    y.dmin = fp32_to_fp16(max_offset / 63.0f);
    const float d = fp16_to_fp32(y.d), dmin = fp16_to_fp32(y.dmin);
    Q4KScales packed{};
    for (int s = 0; s < 8; ++s) {
        const Multiples sc = bracket(fits[s].scale, d, 0, 63), mn = bracket(fits[s].offset, dmin, 0, 63);
        float best = INFINITY;
        for (int c : {sc.lo, sc.hi}) {
            for (int m : {mn.lo, mn.hi}) {
                const float err = q4_k_error(x + 32 * s, weights[s], d * c, dmin * m);
                if (err < best) {
                    best = err;
                    packed.scale[s] = static_cast<uint8_t>(c);
                    packed.min[s] = static_cast<uint8_t>(m);
                }
            }
        }
        const float scale = d * packed.scale[s], offset = dmin * packed.min[s];
        const int shift = 4 * (s % 2);
        for (int i = 0; i < 32; ++i) {
            const int q = q4_k_level(x[32 * s + i], scale, offset);
            y.qs[32 * (s / 2) + i] = static_cast<uint8_t>(y.qs[32 * (s / 2) + i] | (q << shift));
        }
    }
    pack_q4_k_scales(packed, y.scales);
}

int q6_k_level(float x, float scale) { return scale != 0 ? clamp(round_half_even(x / scale), -32, 31) : 0; }

float q6_k_error(const float* x, float scale) {
    float err = 0;
    for (int i = 0; i < 16; ++i) {
        const float diff = scale * q6_k_level(x[i], scale) - x[i];
        err += diff * diff;
    }
    return err;
}

void quantize_q6_k_block(const float* x, BlockQ6_K& y) {
    float scales[16];
    float max_scale = 0.0f;  // signed, of largest magnitude
    for (int s = 0; s < 16; ++s) {
        scales[s] = search_symmetric(x + 16 * s, 16, 32);
        if (std::fabs(scales[s]) > std::fabs(max_scale)) max_scale = scales[s];
    }
    std::memset(&y, 0, sizeof y);
    // The largest scale maps to -128 so the int8 scales use their full range.
    y.d = fp32_to_fp16(max_scale / -128.0f);
    const float d = fp16_to_fp32(y.d);
    for (int s = 0; s < 16; ++s) {
        const Multiples sc = bracket(scales[s], d, -128, 127);
        const bool lo_better = q6_k_error(x + 16 * s, d * sc.lo) <= q6_k_error(x + 16 * s, d * sc.hi);
        y.scales[s] = static_cast<int8_t>(lo_better ? sc.lo : sc.hi);
        const float scale = d * y.scales[s];
        for (int i = 0; i < 16; ++i) add_q6_k_code(y, 16 * s + i, q6_k_level(x[16 * s + i], scale) + 32);
    }
}

}  // namespace

void quantize_q4_k(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ4_K*>(dst);
    for (int64_t b = 0; b < n / kSuperElems; ++b) quantize_q4_k_block(src + b * kSuperElems, blocks[b]);
}

void quantize_q6_k(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ6_K*>(dst);
    for (int64_t b = 0; b < n / kSuperElems; ++b) quantize_q6_k_block(src + b * kSuperElems, blocks[b]);
}

}  // namespace clawbot::kernels::scalar
