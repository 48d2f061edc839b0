// The scale searches of quantize_fit.h.
#include "engine/tensor/quantize_fit.h"

#include "engine/tensor/block_formats.h"
#include "engine/tensor/scalar_rounding.h"

namespace clawbot::kernels {
namespace {

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

}  // namespace

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

float signed_absmax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    return max;
}

float search_symmetric(const float* x, int n, int half_codes) {
    const float max = signed_absmax(x, n);
    if (max == 0.0f) return 0.0f;
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


int nearest_iq4_level(float v) {
    // The midpoints between neighbouring levels; v exactly on one goes to
    // the lower level. A binary search: this runs for every element of
    // every candidate scale.
    static constexpr float kMid[15] = {
        (kIq4Levels[0] + kIq4Levels[1]) / 2.0f,   (kIq4Levels[1] + kIq4Levels[2]) / 2.0f,
        (kIq4Levels[2] + kIq4Levels[3]) / 2.0f,   (kIq4Levels[3] + kIq4Levels[4]) / 2.0f,
        (kIq4Levels[4] + kIq4Levels[5]) / 2.0f,   (kIq4Levels[5] + kIq4Levels[6]) / 2.0f,
        (kIq4Levels[6] + kIq4Levels[7]) / 2.0f,   (kIq4Levels[7] + kIq4Levels[8]) / 2.0f,
        (kIq4Levels[8] + kIq4Levels[9]) / 2.0f,   (kIq4Levels[9] + kIq4Levels[10]) / 2.0f,
        (kIq4Levels[10] + kIq4Levels[11]) / 2.0f, (kIq4Levels[11] + kIq4Levels[12]) / 2.0f,
        (kIq4Levels[12] + kIq4Levels[13]) / 2.0f, (kIq4Levels[13] + kIq4Levels[14]) / 2.0f,
        (kIq4Levels[14] + kIq4Levels[15]) / 2.0f};
    int lo = 0, hi = 15;  // answer in [lo, hi]: the number of midpoints below v
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (kMid[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

float iq4_error(const float* x, int n, float scale) {
    float err = 0;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    for (int i = 0; i < n; ++i) {
        const float diff = scale != 0 ? scale * kIq4Levels[nearest_iq4_level(x[i] * inverse)] - x[i] : x[i];
        err += x[i] * x[i] * diff * diff;  // large values matter most, as in search_symmetric
    }
    return err;
}

float search_iq4_scale(const float* x, int n) {
    const float max = signed_absmax(x, n);
    if (max == 0.0f) return 0.0f;
    float best_scale = max / kIq4Levels[0], best_err = INFINITY;
    for (int step = -10; step <= 10; ++step) {
        const float scale = max / (kIq4Levels[0] + 0.5f * static_cast<float>(step));
        const float err = iq4_error(x, n, scale);
        if (err < best_err) {
            best_err = err;
            best_scale = scale;
        }
    }
    return best_scale;
}

}  // namespace clawbot::kernels
