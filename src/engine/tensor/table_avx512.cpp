// The AVX-512 (with VNNI) kernel table. Quantize and dequantize are the
// scalar ones: they run once per model load, not per token.
#include <array>

#include "engine/tensor/kernel_registry.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels {
namespace {

constexpr std::array kAvx512Table = {
    TypeKernels{DType::F32, DType::F32, scalar::quantize_f32, scalar::dequantize_f32, avx512::gemm_f32},
    TypeKernels{DType::F16, DType::F32, scalar::quantize_f16, scalar::dequantize_f16, avx512::gemm_f16},
    TypeKernels{DType::BF16, DType::F32, scalar::quantize_bf16, scalar::dequantize_bf16, avx512::gemm_bf16},
    TypeKernels{DType::Q8_0, DType::Q8_0, scalar::quantize_q8_0, scalar::dequantize_q8_0, avx512::gemm_q8_0},
    TypeKernels{DType::Q4_0, DType::Q8_0, scalar::quantize_q4_0, scalar::dequantize_q4_0, avx512::gemm_q4_0},
    TypeKernels{DType::Q4_K, DType::Q8_K, scalar::quantize_q4_k, scalar::dequantize_q4_k, avx512::gemm_q4_k},
    TypeKernels{DType::Q6_K, DType::Q8_K, scalar::quantize_q6_k, scalar::dequantize_q6_k, avx512::gemm_q6_k},
};

constexpr F16Helpers kAvx512Helpers{avx512::dot_f32_f16, avx512::axpy_f16, avx512::f32_to_f16_row};

}  // namespace

const TypeKernels* avx512_kernels(DType weight) {
    for (const TypeKernels& k : kAvx512Table) {
        if (k.weight == weight) return &k;
    }
    return nullptr;
}

QuantizeFn avx512_activation_quantizer(DType activation) {
    switch (activation) {
        case DType::F32: return scalar::quantize_f32;  // a copy: nothing to vectorize
        case DType::Q8_0: return avx512::quantize_q8_0;
        case DType::Q8_K: return avx512::quantize_q8_k;
        default: return nullptr;
    }
}

const F16Helpers& avx512_f16_helpers() { return kAvx512Helpers; }

}  // namespace clawbot::kernels
