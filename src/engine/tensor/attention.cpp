#include "engine/tensor/attention.h"

#include <cmath>

#include "engine/tensor/f16_vector.h"
#include "engine/tensor/kernels.h"

namespace clawbot::kernels {

namespace avx512 {
bool attend_positions(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                      int head_dim, float scale, float softcap);
}  // namespace avx512

void attend_positions_reference(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                                int head_dim, float scale, float softcap) {
    for (int p = 0; p < n; ++p) {
        const uint16_t* kp = k + static_cast<size_t>(p) * stride;
        const uint16_t* vp = v + static_cast<size_t>(p) * stride;
        for (int h = 0; h < g; ++h) {
            HeadState& st = heads[h];
            float s = dot_f32_f16(st.q, kp, head_dim) * scale;
            if (softcap > 0) s = softcap * std::tanh(s);
            float old_scale = 1.0f, weight = 1.0f;
            if (s > st.max) {
                old_scale = std::exp(st.max - s);
                st.max = s;
                scale_f16(st.acc, old_scale, head_dim);
            } else {
                weight = std::exp(s - st.max);
            }
            mad_f16(st.acc, vp, weight, head_dim);
            st.sum = st.sum * old_scale + weight;
        }
    }
}

void attend_positions(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                      int head_dim, float scale, float softcap) {
    static const bool avx512 = detected_isa() == Isa::Avx512;
    if (avx512 && avx512::attend_positions(heads, g, k, v, stride, n, head_dim, scale, softcap)) return;
    attend_positions_reference(heads, g, k, v, stride, n, head_dim, scale, softcap);
}

}  // namespace clawbot::kernels
