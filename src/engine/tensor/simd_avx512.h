#pragma once
// Small building blocks shared by the *_avx512.cpp files. Include only from
// files built with the AVX-512 flags (these inline functions use AVX-512).
// GCC 12 flags the deliberately undefined registers inside its own AVX-512
// intrinsics as uninitialized once they are inlined (GCC bug 105593, fixed
// in GCC 13); silence that for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <cstring>

#include "engine/tensor/simd_codegen.h"

namespace clawbot::kernels::avx512 {

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

// Two fp16 block scales, the first at p and the second block_bytes later
// (0 when there is no second block), as 8 copies of each: the per-lane
// factors of a register holding two blocks' int32 dot-product lanes.
template <bool kPair>
__m512 pair_scales(const uint8_t* p, size_t block_bytes) {
    const uint32_t halves = load_u16(p) | (kPair ? static_cast<uint32_t>(load_u16(p + block_bytes)) << 16 : 0u);
    const __m128 both = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(halves)));
    const __m512i pick = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(pick, _mm512_castps128_ps512(both));
}

// 32 bytes at p and (for a pair) 32 bytes at q as one register.
template <bool kPair>
__m512i load_two_halves(const uint8_t* p, const uint8_t* q) {
    const __m256i first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if constexpr (kPair) {
        return _mm512_inserti64x4(_mm512_castsi256_si512(first),
                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), 1);
    } else {
        (void)q;
        return _mm512_zextsi256_si512(first);
    }
}

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

}  // namespace clawbot::kernels::avx512
