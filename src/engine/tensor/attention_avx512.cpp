// attend_positions with AVX-512. Bit-identical to the per-position helpers:
// the dot keeps dot_f32_f16's two accumulators, 32-element stride, masked
// 16-element tail and final reduction; scaling and the multiply-add are
// element-wise, so their vector width does not matter.
#include <cmath>

#include "engine/tensor/attention.h"
#include "engine/tensor/simd_avx512.h"

namespace clawbot::kernels::avx512 {
namespace {

constexpr int kMaxHeadDim = 512;
constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

__mmask16 lanes(int64_t left) {
    return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

// F16 row -> floats (exact), zero past n up to the next multiple of 16.
void widen(const uint16_t* x, float* out, int n) {
    for (int i = 0; i < n; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lanes(n - i), x + i)));
    }
}

// dot_f32_f16(x, y, n) with y already widened.
float dot_widened(const float* x, const float* y, int n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = lanes(n - i);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

void scale_acc(uint16_t* acc, float s, int n) {
    const __m512 vs = _mm512_set1_ps(s);
    for (int i = 0; i < n; i += 16) {
        const __mmask16 m = lanes(n - i);
        const __m512 a = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, acc + i));
        _mm256_mask_storeu_epi16(acc + i, m, _mm512_cvtps_ph(_mm512_mul_ps(a, vs), kRound));
    }
}

void mad_acc(uint16_t* acc, const float* v, float w, int n) {
    const __m512 vw = _mm512_set1_ps(w);
    for (int i = 0; i < n; i += 16) {
        const __mmask16 m = lanes(n - i);
        const __m512 a = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, acc + i));
        _mm256_mask_storeu_epi16(acc + i, m, _mm512_cvtps_ph(_mm512_fmadd_ps(_mm512_loadu_ps(v + i), vw, a), kRound));
    }
}

// a * b + c as two roundings. This file is built with FMA enabled, and the
// compiler would otherwise fuse the running sum's update into one rounding,
// unlike the baseline build of the reference path.
float mul_then_add(float a, float b, float c) {
    float product = a * b;
    __asm__("" : "+v"(product));
    return product + c;
}

}  // namespace

void attend_positions(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                      int head_dim, float scale) {
    if (head_dim > kMaxHeadDim) {
        attend_positions_reference(heads, g, k, v, stride, n, head_dim, scale);
        return;
    }
    alignas(64) float key[kMaxHeadDim], value[kMaxHeadDim];
    for (int p = 0; p < n; ++p) {
        widen(k + static_cast<size_t>(p) * stride, key, head_dim);
        widen(v + static_cast<size_t>(p) * stride, value, head_dim);
        for (int h = 0; h < g; ++h) {
            HeadState& st = heads[h];
            const float s = dot_widened(st.q, key, head_dim) * scale;
            float old_scale = 1.0f, weight = 1.0f;
            if (s > st.max) {
                old_scale = std::exp(st.max - s);
                st.max = s;
                scale_acc(st.acc, old_scale, head_dim);
            } else {
                weight = std::exp(s - st.max);
            }
            mad_acc(st.acc, value, weight, head_dim);
            st.sum = mul_then_add(st.sum, old_scale, weight);
        }
    }
}

}  // namespace clawbot::kernels::avx512
