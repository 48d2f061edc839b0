#include "engine/model/ops.h"

#include <algorithm>
#include <cmath>

namespace clawbot::ops {

void rms_norm(const float* x, const float* weight, float* out, int n, float eps) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
    for (int i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void rope_angles(int pos, int rope_dims, const RopeFrequencies& f, float* cs) {
    // Angles advance by a constant factor per pair, computed in float the
    // way the reference does, so positions agree to the last bit.
    const float theta_scale = std::pow(f.base, -2.0f / static_cast<float>(rope_dims));
    float theta = static_cast<float>(pos);
    for (int i = 0; i < rope_dims / 2; ++i) {
        const float angle = f.freq_scale * (f.factors ? theta / f.factors[i] : theta);
        cs[2 * i] = std::cos(angle) * f.attn_factor;
        cs[2 * i + 1] = std::sin(angle) * f.attn_factor;
        theta *= theta_scale;
    }
}

void apply_rope(float* x, int n_heads, int head_dim, int rope_dims, RopeStyle style, const float* cs) {
    const int half = rope_dims / 2;
    for (int h = 0; h < n_heads; ++h) {
        float* v = x + static_cast<int64_t>(h) * head_dim;
        for (int i = 0; i < half; ++i) {
            const float c = cs[2 * i], s = cs[2 * i + 1];
            const int a = style == RopeStyle::Adjacent ? 2 * i : i;
            const int b = style == RopeStyle::Adjacent ? 2 * i + 1 : i + half;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}

void softmax(float* x, int n) {
    const float max = *std::max_element(x, x + n);
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int i = 0; i < n; ++i) x[i] *= inv;
}

void add(float* x, const float* y, int n) {
    for (int i = 0; i < n; ++i) x[i] += y[i];
}

void add_scaled(float* __restrict x, const float* __restrict y, float a, int n) {
    // Fixed-length inner loop: -O2 vectorizes only loops whose trip count
    // is a known multiple of the vector width.
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 16; ++j) x[i + j] += a * y[i + j];
    }
    for (; i < n; ++i) x[i] += a * y[i];
}

}  // namespace clawbot::ops
