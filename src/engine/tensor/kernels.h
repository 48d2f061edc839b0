#pragma once
// Dot-product kernels for every supported weight type. A matmul quantizes its
// activations once into the weight type's activation type (8-bit blocks for
// quantized weights) and then runs integer dot products over weight blocks.
// Each type has a scalar reference; AVX2 and AVX-512 (VNNI where present)
// versions are chosen at run time by CPUID and tested against the reference.
#include <cstddef>
#include <cstdint>

#include "engine/tensor/dtype.h"

namespace clawbot::kernels {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };
const char* isa_name(Isa isa);
// Best ISA this CPU supports (AVX-512 needs F, BW, VL, DQ and VNNI here).
Isa cpu_isa();
// The ISA the engine runs: cpu_isa(), or lower where CLAWBOT_ISA caps it.
Isa detected_isa();
// CLAWBOT_ISA read: unset, a valid cap (scalar, avx2, avx512), or a value the
// engine ignores (doctor reports it).
struct IsaCap {
    bool set = false;
    bool valid = false;
    Isa cap = Isa::Avx512;
};
IsaCap isa_cap_setting();

// gemm computes out[j * out_stride + i] = dot(W row i, A row j)
// for i < n_rows, j < n_cols. Weight row i starts at w + i * w_stride bytes,
// activation row j at a + j * a_stride bytes; rows hold k elements (k a
// multiple of the block size). Activations are in activation_type(weight).
// Rows must be aligned as their type's fields are (4 bytes for F32 and Q8_K,
// 2 for the others), as GGUF data and row_bytes() strides always are.
// Implementations tile so that each weight block is read once for a group of
// activation rows: n_cols = 16 costs little more memory traffic than 1.
using GemmFn = void (*)(int64_t k, const void* w, size_t w_stride, int64_t n_rows,
                        const void* a, size_t a_stride, int64_t n_cols,
                        float* out, size_t out_stride);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);
using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);

struct TypeKernels {
    DType weight;
    DType activation;        // type the activations are quantized to
    QuantizeFn quantize;     // float -> weight type (for `clawbot quantize`); null if not offered
    DequantizeFn dequantize; // weight type -> float
    GemmFn gemm;
};

// Kernels for `weight` on `isa`; nullptr when the type is unsupported or the
// ISA has no version for it (callers fall back to a lower ISA).
const TypeKernels* kernels_for(DType weight, Isa isa);
// Kernels for `weight` on the best available ISA; nullptr if unsupported.
const TypeKernels* kernels(DType weight);
// ... on the best available ISA no higher than `cap` (Isa::Scalar: the
// reference kernels, which the SIMD ones are tested against).
const TypeKernels* kernels_up_to(DType weight, Isa cap);

// Activation quantizer for an activation type (F32 is a plain copy).
QuantizeFn activation_quantizer(DType activation, Isa isa);
QuantizeFn activation_quantizer(DType activation);

// Weight types this build can run (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K).
bool is_supported_weight(DType t);

// Vector helpers for attention over an F16 KV cache (best ISA).
float dot_f32_f16(const float* x, const uint16_t* y, int64_t n);
// y[i] += a * x[i]
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);
void f32_to_f16_row(const float* x, uint16_t* y, int64_t n);

}  // namespace clawbot::kernels
