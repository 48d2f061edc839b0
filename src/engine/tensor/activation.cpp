#include "engine/tensor/activation.h"

#include <cmath>
#include <vector>

#include "engine/tensor/fp16.h"
#include "engine/tensor/kernels.h"

namespace clawbot::kernels {

namespace avx512 {
void swiglu(float* gate, const float* up, int64_t n);
void softcap(float* x, int64_t n, float cap);
}  // namespace avx512

namespace scalar {
void swiglu(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

void softcap(float* x, int64_t n, float cap) {
    const float inverse = 1.0f / cap;
    for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inverse) * cap;
}
}  // namespace scalar

namespace {

float gelu_tanh(float x) {
    constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
    constexpr float kCoef = 0.044715f;
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x)));
}

// gelu of every fp16 value, as fp16: 128 KiB, built once (thread-safe
// static initialization), then one lookup per element.
const std::vector<uint16_t>& gelu_table() {
    static const std::vector<uint16_t> table = [] {
        std::vector<uint16_t> t(65536);
        for (uint32_t h = 0; h < 65536; ++h) t[h] = fp32_to_fp16(gelu_tanh(fp16_to_fp32(static_cast<uint16_t>(h))));
        return t;
    }();
    return table;
}

}  // namespace

void geglu(float* gate, const float* up, int64_t n) {
    const uint16_t* table = gelu_table().data();
    for (int64_t i = 0; i < n; ++i) {
        const float x = gate[i];
        float g;
        if (x <= -10.0f) {
            g = 0.0f;
        } else if (x >= 10.0f) {
            g = x;
        } else {
            g = fp16_to_fp32(table[fp32_to_fp16(x)]);
        }
        gate[i] = g * up[i];
    }
}

void swiglu(float* gate, const float* up, int64_t n) {
    static const bool avx512 = detected_isa() == Isa::Avx512;
    avx512 ? avx512::swiglu(gate, up, n) : scalar::swiglu(gate, up, n);
}

void softcap(float* x, int64_t n, float cap) {
    static const bool avx512 = detected_isa() == Isa::Avx512;
    avx512 ? avx512::softcap(x, n, cap) : scalar::softcap(x, n, cap);
}

}  // namespace clawbot::kernels
