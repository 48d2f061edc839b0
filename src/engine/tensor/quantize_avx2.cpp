// Activation quantizers (float -> Q8_0 / Q8_K) with AVX2, bit-identical to
// the scalar ones: the same float operations in the same order, and
// conversions that round half to even like std::nearbyint.
#include "engine/tensor/block_formats.h"
#include "engine/tensor/simd_avx2.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx2 {
namespace {

// 32 int32 values (each within int8 range) as 32 bytes in order.
void store_int8x32(int8_t* dst, __m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    // packs interleave 128-bit halves; the final permute restores the order.
    const __m256i q01 = _mm256_packs_epi32(q0, q1);
    const __m256i q23 = _mm256_packs_epi32(q2, q3);
    const __m256i bytes = _mm256_packs_epi16(q01, q23);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                        _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

}  // namespace

void quantize_q8_0(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_0*>(dst);
    for (int64_t b = 0; b < n / kQ8_0Elems; ++b) {
        const float* x = src + b * kQ8_0Elems;
        __m256 v[4];
        __m256 vmax = _mm256_setzero_ps();
        CLAWBOT_UNROLL
        for (int j = 0; j < 4; ++j) {
            v[j] = _mm256_loadu_ps(x + 8 * j);
            vmax = _mm256_max_ps(vmax, abs_ps(v[j]));
        }
        const float amax = hmax(vmax);
        const __m256 inv = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        blocks[b].d = _cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT);
        __m256i q[4];
        CLAWBOT_UNROLL
        for (int j = 0; j < 4; ++j) q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], inv));
        store_int8x32(blocks[b].qs, q[0], q[1], q[2], q[3]);
    }
}

void quantize_q8_k(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(dst);
    constexpr int kVectors = kSuperElems / 8;
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const float* x = src + b * kSuperElems;
        BlockQ8_K& y = blocks[b];
        __m256 vmax = _mm256_setzero_ps();
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; ++j) vmax = _mm256_max_ps(vmax, abs_ps(_mm256_loadu_ps(x + 8 * j)));
        const float amax = hmax(vmax);
        if (amax == 0.0f) {
            std::memset(&y, 0, sizeof y);
            continue;
        }
        // The first element of largest magnitude decides the sign.
        float max = 0.0f;
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; ++j) {
            const int hit =
                _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + 8 * j)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hit != 0) {
                max = x[8 * j + __builtin_ctz(static_cast<unsigned>(hit))];
                break;
            }
        }
        const __m256 inv = _mm256_set1_ps(-127.0f / max);
        const __m256i limit = _mm256_set1_epi32(127);
        CLAWBOT_UNROLL
        for (int j = 0; j < kVectors; j += 4) {
            __m256i q[4];
            CLAWBOT_UNROLL
            for (int u = 0; u < 4; ++u) {
                q[u] =
                    _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(inv, _mm256_loadu_ps(x + 8 * (j + u)))), limit);
            }
            store_int8x32(y.qs + 8 * j, q[0], q[1], q[2], q[3]);
            y.bsums[j / 2] = static_cast<int16_t>(hsum(_mm256_add_epi32(q[0], q[1])));
            y.bsums[j / 2 + 1] = static_cast<int16_t>(hsum(_mm256_add_epi32(q[2], q[3])));
        }
        y.d = 1.0f / _mm256_cvtss_f32(inv);
    }
}

}  // namespace clawbot::kernels::avx2
