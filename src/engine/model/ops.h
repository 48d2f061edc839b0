#pragma once
// Element-wise and normalization steps of the forward pass, on F32 rows.
#include <cstdint>

#include "engine/model/model_config.h"

namespace clawbot::ops {

// out = x / rms(x) * weight; the sum of squares is kept in double as the
// reference does, so tiny models match it bit for bit more often.
void rms_norm(const float* x, const float* weight, float* out, int n, float eps);

struct RopeFrequencies {
    float base = 10000.0f;
    const float* factors = nullptr;  // rope_dims/2 frequency divisors (LongRoPE), or null
    float attn_factor = 1.0f;        // scales cos and sin (LongRoPE's magnitude correction)
    float freq_scale = 1.0f;         // linear scaling: angles times this
};

// Precomputes cos/sin for the rotating pairs of one position:
// cs[2i] = attn_factor * cos(freq_scale * pos * base^(-2i/rope_dims) / factors[i]),
// cs[2i+1] = attn_factor * sin(...).
void rope_angles(int pos, int rope_dims, const RopeFrequencies& f, float* cs);
// Rotates the first rope_dims values of each of n_heads heads.
void apply_rope(float* x, int n_heads, int head_dim, int rope_dims, RopeStyle style, const float* cs);

// In-place softmax over n scores.
void softmax(float* x, int n);

void add(float* x, const float* y, int n);
// x += a * y
void add_scaled(float* x, const float* y, float a, int n);

}  // namespace clawbot::ops
