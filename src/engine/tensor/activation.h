#pragma once
// Element-wise activations of the feed-forward block.
#include <cstdint>

namespace clawbot::kernels {

// gate[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x). The AVX-512
// version takes e^x from a polynomial (relative error about 2e-7, as the
// reference's own vector silu does) instead of one libm call per element.
void swiglu(float* gate, const float* up, int64_t n);

// gate[i] = gelu(gate[i]) * up[i] with the tanh form of GELU, evaluated as
// the reference does: through a table over every fp16 input, so the input
// is rounded to fp16 and the result read back from fp16 (|x| >= 10 is exact:
// 0 or x).
void geglu(float* gate, const float* up, int64_t n);

// x[i] = cap * tanh(x[i] / cap): gemma2's soft-capped logits, one per
// vocabulary entry (256K) per sampled token. The scalar version is the
// reference's arithmetic (times the float 1/cap, tanhf, times cap); the
// AVX-512 one takes tanh(y) = 1 - 2 / (e^2y + 1) from the polynomial e^x,
// within 4e-7 * cap of it (tested) and, one thread over 256K values, at
// 0.05-0.13 ms against tanhf's 2.7-2.8 ms.
void softcap(float* x, int64_t n, float cap);

namespace scalar {
void swiglu(float* gate, const float* up, int64_t n);
void softcap(float* x, int64_t n, float cap);
}  // namespace scalar

}  // namespace clawbot::kernels
