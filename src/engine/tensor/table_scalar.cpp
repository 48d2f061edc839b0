// The scalar kernel table: every supported type, usable on any x86-64.
#include <array>

#include "engine/tensor/fp16.h"
#include "engine/tensor/kernel_registry.h"
#include "engine/tensor/scalar_kernels.h"

namespace clawbot::kernels {
namespace {

constexpr std::array kScalarTable = {
    TypeKernels{DType::F32, DType::F32, scalar::quantize_f32, scalar::dequantize_f32, scalar::gemm_f32},
    TypeKernels{DType::F16, DType::F32, scalar::quantize_f16, scalar::dequantize_f16, scalar::gemm_f16},
    TypeKernels{DType::BF16, DType::F32, scalar::quantize_bf16, scalar::dequantize_bf16, scalar::gemm_bf16},
    TypeKernels{DType::Q8_0, DType::Q8_0, scalar::quantize_q8_0, scalar::dequantize_q8_0, scalar::gemm_q8_0},
    TypeKernels{DType::Q4_0, DType::Q8_0, scalar::quantize_q4_0, scalar::dequantize_q4_0, scalar::gemm_q4_0},
    TypeKernels{DType::Q4_K, DType::Q8_K, scalar::quantize_q4_k, scalar::dequantize_q4_k, scalar::gemm_q4_k},
    TypeKernels{DType::Q6_K, DType::Q8_K, scalar::quantize_q6_k, scalar::dequantize_q6_k, scalar::gemm_q6_k},
    TypeKernels{DType::Q4_1, DType::Q8_0, scalar::quantize_q4_1, scalar::dequantize_q4_1, scalar::gemm_q4_1},
    TypeKernels{DType::Q5_0, DType::Q8_0, scalar::quantize_q5_0, scalar::dequantize_q5_0, scalar::gemm_q5_0},
    TypeKernels{DType::Q5_1, DType::Q8_0, scalar::quantize_q5_1, scalar::dequantize_q5_1, scalar::gemm_q5_1},
    TypeKernels{DType::IQ4_NL, DType::Q8_0, scalar::quantize_iq4_nl, scalar::dequantize_iq4_nl, scalar::gemm_iq4_nl},
    TypeKernels{DType::Q2_K, DType::Q8_K, scalar::quantize_q2_k, scalar::dequantize_q2_k, scalar::gemm_q2_k},
    TypeKernels{DType::Q3_K, DType::Q8_K, scalar::quantize_q3_k, scalar::dequantize_q3_k, scalar::gemm_q3_k},
    TypeKernels{DType::Q5_K, DType::Q8_K, scalar::quantize_q5_k, scalar::dequantize_q5_k, scalar::gemm_q5_k},
    TypeKernels{DType::IQ4_XS, DType::Q8_K, scalar::quantize_iq4_xs, scalar::dequantize_iq4_xs, scalar::gemm_iq4_xs},
};

float dot_f32_f16(const float* x, const uint16_t* y, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += x[i] * fp16_to_fp32(y[i]);
    return sum;
}

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * fp16_to_fp32(x[i]);
}

void f32_to_f16_row(const float* x, uint16_t* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

constexpr F16Helpers kScalarHelpers{dot_f32_f16, axpy_f16, f32_to_f16_row};

}  // namespace

const TypeKernels* scalar_kernels(DType weight) {
    for (const TypeKernels& k : kScalarTable) {
        if (k.weight == weight) return &k;
    }
    return nullptr;
}

QuantizeFn scalar_activation_quantizer(DType activation) {
    switch (activation) {
        case DType::F32: return scalar::quantize_f32;
        case DType::Q8_0: return scalar::quantize_q8_0;
        case DType::Q8_K: return scalar::quantize_q8_k;
        default: return nullptr;
    }
}

const F16Helpers& scalar_f16_helpers() { return kScalarHelpers; }

}  // namespace clawbot::kernels
