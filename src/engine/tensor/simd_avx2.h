#pragma once
// Small building blocks shared by the *_avx2.cpp files. Include only from
// files built with the AVX2 flags (these inline functions use AVX2/FMA/F16C).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "engine/tensor/simd_codegen.h"

namespace clawbot::kernels::avx2 {

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline float fp16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i load_256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m128i load_128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// fp16 scales of 8 consecutive blocks as floats, in one conversion. Built in
// general registers: assembling them in a stack array and loading that back
// would stall on store forwarding.
inline uint64_t four_halves(const uint8_t* first, size_t block_bytes) {
    return static_cast<uint64_t>(load_u16(first)) | static_cast<uint64_t>(load_u16(first + block_bytes)) << 16 |
           static_cast<uint64_t>(load_u16(first + 2 * block_bytes)) << 32 |
           static_cast<uint64_t>(load_u16(first + 3 * block_bytes)) << 48;
}

inline __m256 eight_scales(const uint8_t* first, size_t block_bytes) {
    const uint64_t low = four_halves(first, block_bytes), high = four_halves(first + 4 * block_bytes, block_bytes);
    return _mm256_cvtph_ps(_mm_set_epi64x(static_cast<long long>(high), static_cast<long long>(low)));
}

}  // namespace clawbot::kernels::avx2
