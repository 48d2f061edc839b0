#include "engine/tensor/f16_vector.h"

#include <cmath>

#include "engine/tensor/fp16.h"

namespace clawbot::kernels {
namespace scalar {

void round_to_f16(const float* x, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
}

void scale_f16(uint16_t* acc, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] = fp32_to_fp16(fp16_to_fp32(acc[i]) * s);
}

void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] = fp32_to_fp16(std::fma(fp16_to_fp32(v[i]), w, fp16_to_fp32(acc[i])));
}

void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(acc[i]) * s;
}

}  // namespace scalar

namespace {

bool has_f16c_fma() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    return yes;
}

}  // namespace

void round_to_f16(const float* x, float* out, int64_t n) {
    has_f16c_fma() ? avx2::round_to_f16(x, out, n) : scalar::round_to_f16(x, out, n);
}
void scale_f16(uint16_t* acc, float s, int64_t n) { has_f16c_fma() ? avx2::scale_f16(acc, s, n) : scalar::scale_f16(acc, s, n); }
void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n) {
    has_f16c_fma() ? avx2::mad_f16(acc, v, w, n) : scalar::mad_f16(acc, v, w, n);
}
void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n) {
    has_f16c_fma() ? avx2::f16_to_f32_scaled(acc, s, out, n) : scalar::f16_to_f32_scaled(acc, s, out, n);
}

}  // namespace clawbot::kernels
