#pragma once
// Element-wise and normalization steps of the forward pass, on F32 rows.
#include <cstdint>

#include "engine/model/model_config.h"

namespace clawbot::ops {

// out = x / rms(x) * weight; the sum of squares is kept in double as the
// reference does, so tiny models match it bit for bit more often.
void rms_norm(const float* x, const float* weight, float* out, int n, float eps);

// Precomputes cos/sin for the rotating pairs of one position:
// cs[2i] = cos(pos * base^(-2i/rope_dims)), cs[2i+1] = sin(...).
void rope_angles(int pos, int rope_dims, float base, float* cs);
// Rotates the first rope_dims values of each of n_heads heads.
void apply_rope(float* x, int n_heads, int head_dim, int rope_dims, RopeStyle style, const float* cs);

// In-place softmax over n scores.
void softmax(float* x, int n);

void add(float* x, const float* y, int n);

}  // namespace clawbot::ops
