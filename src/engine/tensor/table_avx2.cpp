// The AVX2 (with FMA and F16C) kernel table. Quantize and dequantize are the
// scalar ones: they run once per model load, not per token.
#include <array>

#include "engine/tensor/kernel_registry.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels {
namespace {

constexpr std::array kAvx2Table = {
    TypeKernels{DType::F32, DType::F32, scalar::quantize_f32, scalar::dequantize_f32, avx2::gemm_f32},
    TypeKernels{DType::F16, DType::F32, scalar::quantize_f16, scalar::dequantize_f16, avx2::gemm_f16},
    TypeKernels{DType::BF16, DType::F32, scalar::quantize_bf16, scalar::dequantize_bf16, avx2::gemm_bf16},
    TypeKernels{DType::Q8_0, DType::Q8_0, scalar::quantize_q8_0, scalar::dequantize_q8_0, avx2::gemm_q8_0},
    TypeKernels{DType::Q4_0, DType::Q8_0, scalar::quantize_q4_0, scalar::dequantize_q4_0, avx2::gemm_q4_0},
    TypeKernels{DType::Q4_K, DType::Q8_K, scalar::quantize_q4_k, scalar::dequantize_q4_k, avx2::gemm_q4_k},
    TypeKernels{DType::Q6_K, DType::Q8_K, scalar::quantize_q6_k, scalar::dequantize_q6_k, avx2::gemm_q6_k},
    TypeKernels{DType::Q4_1, DType::Q8_0, scalar::quantize_q4_1, scalar::dequantize_q4_1, avx2::gemm_q4_1},
    TypeKernels{DType::Q5_0, DType::Q8_0, scalar::quantize_q5_0, scalar::dequantize_q5_0, avx2::gemm_q5_0},
    TypeKernels{DType::Q5_1, DType::Q8_0, scalar::quantize_q5_1, scalar::dequantize_q5_1, avx2::gemm_q5_1},
    TypeKernels{DType::Q5_K, DType::Q8_K, scalar::quantize_q5_k, scalar::dequantize_q5_k, avx2::gemm_q5_k},
    TypeKernels{DType::Q3_K, DType::Q8_K, scalar::quantize_q3_k, scalar::dequantize_q3_k, avx2::gemm_q3_k},
    TypeKernels{DType::Q2_K, DType::Q8_K, scalar::quantize_q2_k, scalar::dequantize_q2_k, avx2::gemm_q2_k},
    TypeKernels{DType::IQ4_XS, DType::Q8_K, scalar::quantize_iq4_xs, scalar::dequantize_iq4_xs, avx2::gemm_iq4_xs},
    TypeKernels{DType::IQ4_NL, DType::Q8_0, scalar::quantize_iq4_nl, scalar::dequantize_iq4_nl, avx2::gemm_iq4_nl},
};

constexpr F16Helpers kAvx2Helpers{avx2::dot_f32_f16, avx2::axpy_f16, avx2::f32_to_f16_row};

}  // namespace

const TypeKernels* avx2_kernels(DType weight) {
    for (const TypeKernels& k : kAvx2Table) {
        if (k.weight == weight) return &k;
    }
    return nullptr;
}

QuantizeFn avx2_activation_quantizer(DType activation) {
    switch (activation) {
        case DType::F32: return scalar::quantize_f32;  // a copy: nothing to vectorize
        case DType::Q8_0: return avx2::quantize_q8_0;
        case DType::Q8_K: return avx2::quantize_q8_k;
        default: return nullptr;
    }
}

const F16Helpers& avx2_f16_helpers() { return kAvx2Helpers; }

}  // namespace clawbot::kernels
