// Activation quantizers (float -> Q8_0 / Q8_K), bit-identical to the scalar
// ones: the same float operations in the same order, and conversions that
// round half to even like std::nearbyint in the default rounding mode.
#include "engine/tensor/block_formats.h"
#include "engine/tensor/simd_avx512.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx512 {
namespace {

void store_int8(int8_t* dst, __m512i values) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtsepi32_epi8(values));
}

}  // namespace

void quantize_q8_0(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_0*>(dst);
    for (int64_t b = 0; b < n / kQ8_0Elems; ++b) {
        const float* x = src + b * kQ8_0Elems;
        const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const __m512 inv = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        blocks[b].d = _cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT);
        store_int8(blocks[b].qs, _mm512_cvtps_epi32(_mm512_mul_ps(v0, inv)));
        store_int8(blocks[b].qs + 16, _mm512_cvtps_epi32(_mm512_mul_ps(v1, inv)));
    }
}

void quantize_q8_k(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(dst);
    constexpr int kVectors = kSuperElems / 16;
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const float* x = src + b * kSuperElems;
        BlockQ8_K& y = blocks[b];
        __m512 vmax = _mm512_setzero_ps();
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; ++j) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(x + 16 * j)));
        const float amax = _mm512_reduce_max_ps(vmax);
        if (amax == 0.0f) {
            std::memset(&y, 0, sizeof y);
            continue;
        }
        // The first element of largest magnitude decides the sign.
        float max = 0.0f;
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; ++j) {
            const __mmask16 hit =
                _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + 16 * j)), _mm512_set1_ps(amax), _CMP_EQ_OQ);
            if (hit != 0) {
                max = x[16 * j + static_cast<int>(__builtin_ctz(hit))];
                break;
            }
        }
        const float inv = -127.0f / max;
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; ++j) {
            __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_set1_ps(inv), _mm512_loadu_ps(x + 16 * j)));
            q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
            store_int8(y.qs + 16 * j, q);
            y.bsums[j] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
        }
        y.d = 1.0f / inv;
    }
}

}  // namespace clawbot::kernels::avx512
