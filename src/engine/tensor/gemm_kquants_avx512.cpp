// Q4_K and Q6_K weights against Q8_K activations. Per 256-element
// super-block and (weight row, activation row):
//   unsigned codes x signed activations -> int16 pairs  (maddubs)
//   int16 pairs x per-sub-block int16 scales -> int32   (VNNI dpwssd)
//   one float FMA by d_w * d_a for the whole super-block,
// and the per-sub-block offsets (Q4_K mins, Q6_K's -32) come from the
// activation's bsums, so they cost one madd instead of a pass over codes.
#include <cstddef>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx512.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx512 {
namespace {

constexpr size_t kQ8KBytes = sizeof(BlockQ8_K);
constexpr size_t kQ8KCodes = offsetof(BlockQ8_K, qs);
constexpr size_t kQ8KBsums = offsetof(BlockQ8_K, bsums);

CLAWBOT_INLINE const uint8_t* q8_k_block(const TileArgs& t, int c, int64_t sb) {
    return t.a + c * t.a_stride + sb * kQ8KBytes;
}

CLAWBOT_INLINE __m512i load_512(const uint8_t* p) { return _mm512_loadu_si512(p); }
CLAWBOT_INLINE __m256i load_256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// Lanes 0-15 of the result take 16-bit lane `first` of v, lanes 16-31 lane `second`.
CLAWBOT_INLINE __m512i spread_words(__m128i v, int first, int second) {
    const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<short>(first))),
                                           _mm256_set1_epi16(static_cast<short>(second)), 1);
    return _mm512_permutexvar_epi16(idx, _mm512_castsi128_si512(v));
}

// --- Q4_K --------------------------------------------------------------------

// One Q4_K weight row's super-block, ready to meet any number of activations.
struct Q4KRow {
    __m512i codes[4];   // elements 64p .. 64p+63, one per byte
    __m512i scales[4];  // int16: sub-block 2p in lanes 0-15, 2p+1 in 16-31
    __m256i mins;       // int16: min of sub-block s in lanes 2s and 2s+1
    float d, dmin;
};

CLAWBOT_INLINE Q4KRow load_q4_k(const uint8_t* block) {
    const auto& b = *reinterpret_cast<const BlockQ4_K*>(block);
    Q4KRow row;
    uint32_t packed[3];
    std::memcpy(packed, b.scales, sizeof packed);
    // Bytes 0-3 / 4-7 hold the low 6 bits of scales / mins 0-3; bytes 8-11
    // the low nibbles of scales and mins 4-7, whose top bits sit in the top
    // two bits of bytes 0-3 (scales) and 4-7 (mins).
    const uint32_t scales_lo = packed[0] & 0x3f3f3f3fu;
    const uint32_t mins_lo = packed[1] & 0x3f3f3f3fu;
    const uint32_t scales_hi = (packed[2] & 0x0f0f0f0fu) | ((packed[0] >> 2) & 0x30303030u);
    const uint32_t mins_hi = ((packed[2] >> 4) & 0x0f0f0f0fu) | ((packed[1] >> 2) & 0x30303030u);
    const __m128i scales16 =
        _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(scales_hi), static_cast<int>(scales_lo)));
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(mins_hi), static_cast<int>(mins_lo)));
    row.mins = _mm256_set_m128i(_mm_unpackhi_epi16(mins16, mins16), _mm_unpacklo_epi16(mins16, mins16));
    CLAWBOT_UNROLL
    for (int p = 0; p < 4; ++p) {
        const __m512i both = _mm512_broadcast_i64x4(load_256(b.qs + 32 * p));
        row.codes[p] =
            _mm512_and_si512(_mm512_srlv_epi64(both, _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)), _mm512_set1_epi8(0x0F));
        row.scales[p] = spread_words(scales16, 2 * p, 2 * p + 1);
    }
    row.d = fp16_to_f32(b.d);
    row.dmin = fp16_to_f32(b.dmin);
    return row;
}

CLAWBOT_INLINE __m512 q4_k_dot(const Q4KRow& w, const uint8_t* act, __m512 acc) {
    __m512i sum = _mm512_setzero_si512();
    CLAWBOT_UNROLL
    for (int p = 0; p < 4; ++p) {
        const __m512i pairs = _mm512_maddubs_epi16(w.codes[p], load_512(act + kQ8KCodes + 64 * p));
        sum = _mm512_dpwssd_epi32(sum, pairs, w.scales[p]);
    }
    const __m256i offsets = _mm256_madd_epi16(load_256(act + kQ8KBsums), w.mins);
    const float d_act = load_f32(act);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(w.d * d_act), acc);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(offsets)), _mm512_set1_ps(-w.dmin * d_act), acc);
}

// --- Q6_K --------------------------------------------------------------------

struct Q6KRow {
    __m512i codes[4];       // elements 64g .. 64g+63 as unsigned 6-bit codes
    __m512i scales[4];      // int16: sub-blocks 4g .. 4g+3, 8 lanes each
    __m256i offset_scales;  // int16: -32 * scale of each sub-block
    float d;
};

// Codes of one 128-element half: low nibbles from ql, two high bits from qh.
// ql[0..63] low nibbles are elements 0..63 (qh bits 0-1 for the first 32,
// 2-3 for the next), ql high nibbles are elements 64..127 (qh bits 4-5, 6-7).
CLAWBOT_INLINE void q6_k_half_codes(const uint8_t* ql, const uint8_t* qh, __m512i& first, __m512i& second) {
    const __m512i low = load_512(ql);
    const __m512i high = _mm512_broadcast_i64x4(load_256(qh));
    const __m512i nibble = _mm512_set1_epi8(0x0F), six_bits = _mm512_set1_epi8(0x3F);
    // Bit-select: nibble bits from the first operand, the rest from the second.
    constexpr int kSelect = 0xE4;  // (C & A) | (~C & B)
    const __m512i high_first = _mm512_sllv_epi64(high, _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4));
    first = _mm512_and_si512(_mm512_ternarylogic_epi64(low, high_first, nibble, kSelect), six_bits);
    const __m512i high_second = _mm512_srlv_epi64(high, _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0));
    second =
        _mm512_and_si512(_mm512_ternarylogic_epi64(_mm512_srli_epi16(low, 4), high_second, nibble, kSelect), six_bits);
}

CLAWBOT_INLINE Q6KRow load_q6_k(const uint8_t* block) {
    const auto& b = *reinterpret_cast<const BlockQ6_K*>(block);
    Q6KRow row;
    q6_k_half_codes(b.ql, b.qh, row.codes[0], row.codes[1]);
    q6_k_half_codes(b.ql + 64, b.qh + 32, row.codes[2], row.codes[3]);
    const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    CLAWBOT_UNROLL
    for (int g = 0; g < 4; ++g) {
        const __m512i idx =
            _mm512_set_epi16(4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3,
                             4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2,
                             4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1,
                             4 * g, 4 * g, 4 * g, 4 * g, 4 * g, 4 * g, 4 * g, 4 * g);
        row.scales[g] = _mm512_permutexvar_epi16(idx, _mm512_castsi256_si512(scales16));
    }
    row.offset_scales = _mm256_mullo_epi16(scales16, _mm256_set1_epi16(-32));
    row.d = fp16_to_f32(b.d);
    return row;
}

CLAWBOT_INLINE __m512 q6_k_dot(const Q6KRow& w, const uint8_t* act, __m512 acc) {
    // Start from -32 * sum(scale * bsum): the codes are stored as q + 32.
    __m512i sum = _mm512_zextsi256_si512(_mm256_madd_epi16(load_256(act + kQ8KBsums), w.offset_scales));
    CLAWBOT_UNROLL
    for (int g = 0; g < 4; ++g) {
        const __m512i pairs = _mm512_maddubs_epi16(w.codes[g], load_512(act + kQ8KCodes + 64 * g));
        sum = _mm512_dpwssd_epi32(sum, pairs, w.scales[g]);
    }
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(w.d * load_f32(act)), acc);
}

// --- tiles -------------------------------------------------------------------

struct Q4KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ4_K);
    CLAWBOT_INLINE static Q4KRow load(const uint8_t* block) { return load_q4_k(block); }
    CLAWBOT_INLINE static __m512 dot(const Q4KRow& w, const uint8_t* act, __m512 acc) { return q4_k_dot(w, act, acc); }
};

struct Q6KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ6_K);
    CLAWBOT_INLINE static Q6KRow load(const uint8_t* block) { return load_q6_k(block); }
    CLAWBOT_INLINE static __m512 dot(const Q6KRow& w, const uint8_t* act, __m512 acc) { return q6_k_dot(w, act, acc); }
};

template <typename Format>
struct SuperBlockTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        __m512 acc[R][C];
        CLAWBOT_UNROLL
        for (auto& row : acc) {
            CLAWBOT_UNROLL
            for (__m512& v : row) v = _mm512_setzero_ps();
        }
        for (int64_t sb = 0; sb < t.k / kSuperElems; ++sb) {
            CLAWBOT_UNROLL
            for (int r = 0; r < R; ++r) {
                const uint8_t* w = t.w + r * t.w_stride + sb * Format::kBytes;
                if constexpr (R > 1) {  // the next row tile, while this one computes
                    CLAWBOT_UNROLL
                    for (size_t line = 0; line < Format::kBytes; line += 64) {
                        _mm_prefetch(reinterpret_cast<const char*>(w + R * t.w_stride + line), _MM_HINT_T0);
                    }
                }
                const auto row = Format::load(w);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) acc[r][c] = Format::dot(row, q8_k_block(t, c, sb), acc[r][c]);
            }
        }
        CLAWBOT_UNROLL
        for (int r = 0; r < R; ++r) {
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) t.out[c * t.out_stride + r] = _mm512_reduce_add_ps(acc[r][c]);
        }
    }
};

// A single activation row walks the weight rows in order (one sequential
// stream for the prefetcher); batches share each decoded row among 4.
template <typename Format>
void kquant_gemm(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                 int64_t n_cols, float* out, size_t out_stride) {
    if (n_cols == 1) {
        tiled_gemm<SuperBlockTile<Format>, 1, 1>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
    } else {
        tiled_gemm<SuperBlockTile<Format>, 4, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
    }
}

}  // namespace

void gemm_q4_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    kquant_gemm<Q4KFormat>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q6_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    kquant_gemm<Q6KFormat>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx512
