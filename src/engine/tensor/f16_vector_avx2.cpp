// F16C + FMA versions; the tails fall back to the scalar code, which rounds
// identically.
#include <immintrin.h>

#include "engine/tensor/f16_vector.h"

namespace clawbot::kernels::avx2 {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT;

__m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
void store_f16(uint16_t* p, __m256 v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, kRound)); }

}  // namespace

void round_to_f16(const float* x, float* out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), kRound)));
    scalar::round_to_f16(x + i, out + i, n - i);
}

void scale_f16(uint16_t* acc, float s, int64_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) store_f16(acc + i, _mm256_mul_ps(load_f16(acc + i), vs));
    scalar::scale_f16(acc + i, s, n - i);
}

void mad_f16(uint16_t* acc, const uint16_t* v, float w, int64_t n) {
    const __m256 vw = _mm256_set1_ps(w);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) store_f16(acc + i, _mm256_fmadd_ps(load_f16(v + i), vw, load_f16(acc + i)));
    scalar::mad_f16(acc + i, v + i, w, n - i);
}

void f16_to_f32_scaled(const uint16_t* acc, float s, float* out, int64_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(load_f16(acc + i), vs));
    scalar::f16_to_f32_scaled(acc + i, s, out + i, n - i);
}

}  // namespace clawbot::kernels::avx2
