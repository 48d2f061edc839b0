#pragma once
// Per-ISA kernel tables behind kernels.h. Each ISA's table lives in files of
// that ISA (built with its flags) and may only be consulted after the CPUID
// check in kernels.cpp says the ISA is usable.
#include "engine/tensor/kernels.h"

namespace clawbot::kernels {

struct F16Helpers {
    float (*dot_f32_f16)(const float* x, const uint16_t* y, int64_t n);
    void (*axpy_f16)(float a, const uint16_t* x, float* y, int64_t n);
    void (*f32_to_f16_row)(const float* x, uint16_t* y, int64_t n);
};

const TypeKernels* scalar_kernels(DType weight);
const TypeKernels* avx2_kernels(DType weight);
const TypeKernels* avx512_kernels(DType weight);

QuantizeFn scalar_activation_quantizer(DType activation);
QuantizeFn avx2_activation_quantizer(DType activation);
QuantizeFn avx512_activation_quantizer(DType activation);

const F16Helpers& scalar_f16_helpers();
const F16Helpers& avx2_f16_helpers();
const F16Helpers& avx512_f16_helpers();

}  // namespace clawbot::kernels
