#pragma once
// Vector steps of attention over an F16 KV cache with an F16 accumulator,
// the arithmetic of the reference's CPU flash-attention kernel. Dispatched
// to F16C/FMA code when the CPU has it; the scalar versions round the same
// way (fused multiply-add, round-to-nearest-even to F16).
#include <cstdint>

namespace clawbot::kernels {

// out[i] = x[i] rounded to F16 precision (kept as float).
void round_to_f16(const float* x, float* out, int64_t n);
// acc[i] = f16(acc[i] * s)
void scale_f16(uint16_t* acc, float s, int64_t n);
// acc[i] = f16(fma(v[i], w, acc[i]))
void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n);
// out[i] = float(acc[i]) * s
void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n);

namespace scalar {
void round_to_f16(const float* x, float* out, int64_t n);
void scale_f16(uint16_t* acc, float s, int64_t n);
void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n);
void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n);
}  // namespace scalar

namespace avx2 {
void round_to_f16(const float* x, float* out, int64_t n);
void scale_f16(uint16_t* acc, float s, int64_t n);
void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n);
void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n);
}  // namespace avx2

}  // namespace clawbot::kernels
