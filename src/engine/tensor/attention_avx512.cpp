// attend_positions with AVX-512, bit-identical to the per-position helpers.
//
// The block's K and V rows are widened to floats once for all heads. Per
// head, 16 positions at a time: each dot keeps dot_f32_f16's two
// accumulators over 32-element steps and masked 16-element tail, and the 16
// horizontal sums are done together by a transpose tree that adds exactly
// the pairs _mm512_reduce_add_ps adds (upper 256 + lower 256, then 128-bit
// halves, then elements 0+2 and 1+3, then those two), so every score is the
// same float. The online softmax then runs position by position as before
// (std::exp, same branch), with the head's F16 accumulator held in
// registers and rounded to F16 after every step exactly as a store and
// reload would.
#include <cmath>

#include "engine/tensor/attention.h"
#include "engine/tensor/simd_avx512.h"

namespace clawbot::kernels::avx512 {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
constexpr int kMaxBlock = 64;  // positions widened at a time

CLAWBOT_INLINE __m512 round_f16(__m512 x) { return _mm512_cvtph_ps(_mm512_cvtps_ph(x, kRound)); }

// a * b + c as two roundings. This file is built with FMA enabled, and the
// compiler would otherwise fuse the running sum's update into one rounding,
// unlike the baseline build of the reference path.
float mul_then_add(float a, float b, float c) {
    float product = a * b;
    __asm__("" : "+v"(product));
    return product + c;
}

// out[p] = _mm512_reduce_add_ps(x[p]) for p < 16, in the same order of
// additions. See the file comment; lane 4L + j of the last step holds
// position 4j + L, undone by one permutation.
CLAWBOT_INLINE __m512 reduce_16(const __m512 (&x)[16]) {
    __m512 a[8], b[4], c[2];
    CLAWBOT_UNROLL
    for (int m = 0; m < 8; ++m) {  // upper 256 + lower 256 of x[2m] and x[2m+1]
        const __m512 lo = _mm512_shuffle_f32x4(x[2 * m], x[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 hi = _mm512_shuffle_f32x4(x[2 * m], x[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2));
        a[m] = _mm512_add_ps(hi, lo);
    }
    CLAWBOT_UNROLL
    for (int m = 0; m < 4; ++m) {  // upper 128 + lower 128 of each 256
        const __m512 lo = _mm512_shuffle_f32x4(a[2 * m], a[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 hi = _mm512_shuffle_f32x4(a[2 * m], a[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1));
        b[m] = _mm512_add_ps(hi, lo);
    }
    CLAWBOT_UNROLL
    for (int m = 0; m < 2; ++m) {  // elements 0 + 2 and 1 + 3 of each 128
        const __m512 first = _mm512_shuffle_ps(b[2 * m], b[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 second = _mm512_shuffle_ps(b[2 * m], b[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2));
        c[m] = _mm512_add_ps(first, second);
    }
    const __m512 first = _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 second = _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 sums = _mm512_add_ps(first, second);
    return _mm512_permutexvar_ps(_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0), sums);
}

template <int kChunks>
void attend_head(HeadState& st, const float (*keys)[16 * kChunks], const float (*values)[16 * kChunks], int n,
                 float scale, float softcap) {
    __m512 q[kChunks], acc[kChunks];
    CLAWBOT_UNROLL
    for (int c = 0; c < kChunks; ++c) {
        q[c] = _mm512_loadu_ps(st.q + 16 * c);
        acc[c] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.acc + 16 * c)));
    }
    float max = st.max, sum = st.sum;
    for (int first = 0; first < n; first += 16) {
        const int count = n - first < 16 ? n - first : 16;
        __m512 partial[16];
        for (int p = 0; p < 16; ++p) {
            if (p >= count) {
                partial[p] = _mm512_setzero_ps();
                continue;
            }
            const float* k = keys[first + p];
            __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
            CLAWBOT_UNROLL
            for (int c = 0; c + 2 <= kChunks; c += 2) {
                acc0 = _mm512_fmadd_ps(q[c], _mm512_load_ps(k + 16 * c), acc0);
                acc1 = _mm512_fmadd_ps(q[c + 1], _mm512_load_ps(k + 16 * c + 16), acc1);
            }
            if constexpr (kChunks % 2 == 1) {
                acc0 = _mm512_fmadd_ps(q[kChunks - 1], _mm512_load_ps(k + 16 * (kChunks - 1)), acc0);
            }
            partial[p] = _mm512_add_ps(acc0, acc1);
        }
        alignas(64) float scores[16];
        _mm512_store_ps(scores, _mm512_mul_ps(reduce_16(partial), _mm512_set1_ps(scale)));
        for (int p = 0; p < count; ++p) {
            const float s = softcap > 0 ? softcap * std::tanh(scores[p]) : scores[p];
            float old_scale = 1.0f, weight = 1.0f;
            if (s > max) {
                old_scale = std::exp(max - s);
                max = s;
                const __m512 by = _mm512_set1_ps(old_scale);
                CLAWBOT_UNROLL
                for (int c = 0; c < kChunks; ++c) acc[c] = round_f16(_mm512_mul_ps(acc[c], by));
            } else {
                weight = std::exp(s - max);
            }
            const __m512 w = _mm512_set1_ps(weight);
            const float* v = values[first + p];
            CLAWBOT_UNROLL
            for (int c = 0; c < kChunks; ++c) acc[c] = round_f16(_mm512_fmadd_ps(_mm512_load_ps(v + 16 * c), w, acc[c]));
            sum = mul_then_add(sum, old_scale, weight);
        }
    }
    CLAWBOT_UNROLL
    for (int c = 0; c < kChunks; ++c) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.acc + 16 * c), _mm512_cvtps_ph(acc[c], kRound));
    }
    st.max = max;
    st.sum = sum;
}

template <int kChunks>
void attend_sized(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n, float scale,
                  float softcap) {
    constexpr int kDim = 16 * kChunks;
    alignas(64) float keys[kMaxBlock][kDim], values[kMaxBlock][kDim];
    for (int first = 0; first < n; first += kMaxBlock) {
        const int count = n - first < kMaxBlock ? n - first : kMaxBlock;
        for (int p = 0; p < count; ++p) {
            const uint16_t* kp = k + static_cast<size_t>(first + p) * stride;
            const uint16_t* vp = v + static_cast<size_t>(first + p) * stride;
            CLAWBOT_UNROLL
            for (int c = 0; c < kChunks; ++c) {
                _mm512_store_ps(keys[p] + 16 * c, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kp + 16 * c))));
                _mm512_store_ps(values[p] + 16 * c, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(vp + 16 * c))));
            }
        }
        for (int h = 0; h < g; ++h) attend_head<kChunks>(heads[h], keys, values, count, scale, softcap);
    }
}

}  // namespace

// False for a head size without a specialisation (the caller then uses the
// per-position helpers).
bool attend_positions(HeadState* heads, int g, const uint16_t* k, const uint16_t* v, size_t stride, int n,
                      int head_dim, float scale, float softcap) {
    switch (head_dim) {
        case 64: attend_sized<4>(heads, g, k, v, stride, n, scale, softcap); return true;
        case 80: attend_sized<5>(heads, g, k, v, stride, n, scale, softcap); return true;
        case 96: attend_sized<6>(heads, g, k, v, stride, n, scale, softcap); return true;
        case 128: attend_sized<8>(heads, g, k, v, stride, n, scale, softcap); return true;
        case 256: attend_sized<16>(heads, g, k, v, stride, n, scale, softcap); return true;
        default: return false;
    }
}

}  // namespace clawbot::kernels::avx512
