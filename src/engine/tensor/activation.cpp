#include "engine/tensor/activation.h"

#include <cmath>

#include "engine/tensor/kernels.h"

namespace clawbot::kernels {

namespace avx512 {
void swiglu(float* gate, const float* up, int64_t n);
}  // namespace avx512

namespace scalar {
void swiglu(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}
}  // namespace scalar

void swiglu(float* gate, const float* up, int64_t n) {
    static const bool avx512 = detected_isa() == Isa::Avx512;
    avx512 ? avx512::swiglu(gate, up, n) : scalar::swiglu(gate, up, n);
}

}  // namespace clawbot::kernels
