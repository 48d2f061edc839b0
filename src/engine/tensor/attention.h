#pragma once
// The inner loop of attention over an F16 KV cache: a run of cached
// positions fed to the query heads that share one KV head, in one call.
//
// Per head and position the arithmetic is exactly that of the per-position
// helpers (f16_vector.h, dot_f32_f16), in the same order, so results are
// bit-identical to them: the reference's CPU flash-attention rounding (F16
// query and accumulator, online softmax). What the call saves is the
// overhead around it: one indirect call per position per head, and each K
// and V row is converted from F16 once for all heads of its group instead
// of once per head.
#include <cstddef>
#include <cstdint>

namespace clawbot::kernels {

// Online-softmax state of one query head.
struct HeadState {
    const float* q;  // the query, already rounded to F16 precision
    uint16_t* acc;   // F16 weighted sum of values, head_dim elements
    float max;       // largest score so far (-inf before the first)
    float sum;       // sum of exp(score - max) so far
};

// For p in [0, n): with k_p = k + p * stride and v_p = v + p * stride (F16,
// head_dim elements each), and for each of the g heads:
//   s = dot(q, k_p) * scale
//   s = softcap * tanh(s)        only if softcap > 0 (gemma2; as the
//                                reference, scale then carries the 1/softcap)
//   if s > max: acc *= exp(max - s), sum *= exp(max - s), max = s, w = 1
//   else:       w = exp(s - max)
//   acc = f16(fma(v_p, w, acc)), sum += w
void attend_positions(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                      int head_dim, float scale, float softcap);

// The same through the per-position helpers: the reference the SIMD version
// is tested against, and the path for CPUs without AVX-512.
void attend_positions_reference(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                                int head_dim, float scale, float softcap);

}  // namespace clawbot::kernels
