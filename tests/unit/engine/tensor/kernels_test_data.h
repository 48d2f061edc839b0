#pragma once
// Random inputs and exact reference sums shared by the kernel tests.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"

namespace clawbot::kernels::test {

// Gaussian values with a few outliers, like real weights and activations.
inline std::vector<float> random_floats(size_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::uniform_int_distribution<int> pick(0, 99);
    std::vector<float> v(n);
    for (float& x : v) {
        x = normal(rng);
        if (pick(rng) == 0) x *= 8.0f;
    }
    return v;
}

// n rows of k elements quantized to `type`, each row at `stride` bytes.
inline std::vector<uint8_t> quantize_rows(DType type, const std::vector<float>& x, int64_t k, int64_t n,
                                          size_t stride) {
    const TypeKernels* kern = kernels_for(type, Isa::Scalar);
    QuantizeFn quantize = kern != nullptr ? kern->quantize : activation_quantizer(type, Isa::Scalar);
    std::vector<uint8_t> out(stride * static_cast<size_t>(n) + 64, 0xA5);  // padding must be ignored
    for (int64_t r = 0; r < n; ++r) quantize(x.data() + r * k, out.data() + static_cast<size_t>(r) * stride, k);
    return out;
}

// Dequantizes one row of `type` (weights or the activation types).
inline std::vector<float> dequantize_row(DType type, const void* row, int64_t k) {
    std::vector<float> out(static_cast<size_t>(k));
    if (type == DType::Q8_K) {
        // Q8_K is only an activation type: decode d * qs directly.
        const auto* bytes = static_cast<const uint8_t*>(row);
        for (int64_t b = 0; b < k / 256; ++b) {
            float d;
            std::memcpy(&d, bytes + b * 292, sizeof d);
            for (int i = 0; i < 256; ++i)
                out[static_cast<size_t>(b * 256 + i)] = d * static_cast<int8_t>(bytes[b * 292 + 4 + i]);
        }
        return out;
    }
    kernels_for(type, Isa::Scalar)->dequantize(row, out.data(), k);
    return out;
}

struct ExactDot {
    double value = 0;
    double magnitude = 0;  // sum of |terms|: the scale rounding errors are relative to
};

inline ExactDot exact_dot(const std::vector<float>& x, const std::vector<float>& y) {
    ExactDot d;
    for (size_t i = 0; i < x.size(); ++i) {
        d.value += static_cast<double>(x[i]) * y[i];
        d.magnitude += std::fabs(static_cast<double>(x[i]) * y[i]);
    }
    return d;
}

}  // namespace clawbot::kernels::test
