// Run-time choice of kernels: the best ISA the CPU and OS support, with
// CLAWBOT_ISA=scalar|avx2|avx512 to cap it (for comparisons and debugging).
#include "engine/tensor/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "engine/tensor/cpu_features.h"
#include "engine/tensor/kernel_registry.h"

namespace clawbot::kernels {
namespace {

bool isa_available(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return true;
        case Isa::Avx2: return cpu_features().avx2;
        case Isa::Avx512: return cpu_features().avx512;
    }
    return false;
}

Isa detect_best() {
    const IsaCap cap = isa_cap_setting();
    const Isa best = cpu_isa();
    return cap.valid ? std::min(best, cap.cap) : best;
}

const F16Helpers& best_f16_helpers() {
    static const F16Helpers& helpers = []() -> const F16Helpers& {
        switch (detected_isa()) {
            case Isa::Avx512: return avx512_f16_helpers();
            case Isa::Avx2: return avx2_f16_helpers();
            case Isa::Scalar: break;
        }
        return scalar_f16_helpers();
    }();
    return helpers;
}

}  // namespace

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return "scalar";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "unknown";
}

Isa cpu_isa() {
    if (isa_available(Isa::Avx512)) return Isa::Avx512;
    if (isa_available(Isa::Avx2)) return Isa::Avx2;
    return Isa::Scalar;
}

IsaCap isa_cap_setting() {
    const char* value = std::getenv("CLAWBOT_ISA");
    if (value == nullptr) return {};
    const std::string_view name(value);
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        if (name == isa_name(isa)) return {.set = true, .valid = true, .cap = isa};
    }
    return {.set = true};
}

Isa detected_isa() {
    static const Isa best = detect_best();
    return best;
}

const TypeKernels* kernels_for(DType weight, Isa isa) {
    if (!isa_available(isa)) return nullptr;
    switch (isa) {
        case Isa::Scalar: return scalar_kernels(weight);
        case Isa::Avx2: return avx2_kernels(weight);
        case Isa::Avx512: return avx512_kernels(weight);
    }
    return nullptr;
}

const TypeKernels* kernels_up_to(DType weight, Isa cap) {
    const int best = std::min(static_cast<int>(detected_isa()), static_cast<int>(cap));
    for (int isa = best; isa >= 0; --isa) {
        if (const TypeKernels* k = kernels_for(weight, static_cast<Isa>(isa))) return k;
    }
    return nullptr;
}

const TypeKernels* kernels(DType weight) { return kernels_up_to(weight, detected_isa()); }

QuantizeFn activation_quantizer(DType activation, Isa isa) {
    if (!isa_available(isa)) return nullptr;
    switch (isa) {
        case Isa::Scalar: return scalar_activation_quantizer(activation);
        case Isa::Avx2: return avx2_activation_quantizer(activation);
        case Isa::Avx512: return avx512_activation_quantizer(activation);
    }
    return nullptr;
}

QuantizeFn activation_quantizer(DType activation) {
    for (int isa = static_cast<int>(detected_isa()); isa >= 0; --isa) {
        if (QuantizeFn q = activation_quantizer(activation, static_cast<Isa>(isa))) return q;
    }
    return nullptr;
}

bool is_supported_weight(DType t) { return scalar_kernels(t) != nullptr; }

float dot_f32_f16(const float* x, const uint16_t* y, int64_t n) { return best_f16_helpers().dot_f32_f16(x, y, n); }

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) { best_f16_helpers().axpy_f16(a, x, y, n); }

void f32_to_f16_row(const float* x, uint16_t* y, int64_t n) { best_f16_helpers().f32_to_f16_row(x, y, n); }

}  // namespace clawbot::kernels
