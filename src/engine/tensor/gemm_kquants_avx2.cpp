// The K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and IQ4_XS against Q8_K
// activations with AVX2. Per 32 codes
// and activation row: maddubs (unsigned codes x signed activations -> int16
// pairs), madd with the sub-block's int16 scale (-> int32), add. One float
// FMA per super-block applies d_w * d_a; the per-sub-block offsets (Q4_K
// mins, Q6_K's -32) come from the activation's bsums. Each decoded weight
// row meets up to 4 activation rows; rows are visited in memory order.
#include <cstddef>
#include <type_traits>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx2.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx2 {
namespace {

constexpr size_t kQ8KBytes = sizeof(BlockQ8_K);
constexpr size_t kQ8KCodes = offsetof(BlockQ8_K, qs);
constexpr size_t kQ8KBsums = offsetof(BlockQ8_K, bsums);

// All 16 lanes take 16-bit lane `lane` of both 128-bit halves of v.
CLAWBOT_INLINE __m256i broadcast_word(__m256i v, int lane) {
    const short pick = static_cast<short>((2 * lane + 1) << 8 | (2 * lane));
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16(pick));
}

// Lanes 0-7 take word `first` of v's low half, lanes 8-15 word `second` of
// its high half.
CLAWBOT_INLINE __m256i split_broadcast_words(__m256i v, int first, int second) {
    const short lo = static_cast<short>((2 * first + 1) << 8 | (2 * first));
    const short hi = static_cast<short>((2 * second + 1) << 8 | (2 * second));
    return _mm256_shuffle_epi8(v, _mm256_setr_epi16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi));
}

template <int C>
struct Accumulators {
    __m256 acc[C];
    Accumulators() {
        CLAWBOT_UNROLL
        for (__m256& v : acc) v = _mm256_setzero_ps();
    }
    void store(const TileArgs& t) const {
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) t.out[c * t.out_stride] = hsum(acc[c]);
    }
};

// Q4_K, or Q5_K (Block = BlockQ5_K): the same scales and nibbles, plus a
// fifth code bit per element in qh (bit s of qh[l] for element 32s + l).
template <int C, typename Block = BlockQ4_K>
void q4_k_row(const TileArgs& t) {
    constexpr bool kFifthBit = std::is_same_v<Block, BlockQ5_K>;
    Accumulators<C> sums;
    for (int64_t sb = 0; sb < t.k / kSuperElems; ++sb) {
        const auto& w = *reinterpret_cast<const Block*>(t.w + sb * sizeof(Block));
        uint32_t packed[3];
        std::memcpy(packed, w.scales, sizeof packed);
        // Bytes 0-3 / 4-7: low 6 bits of scales / mins 0-3. Bytes 8-11: low
        // nibbles of scales and mins 4-7, whose top bits are the top two bits
        // of bytes 0-3 (scales) and 4-7 (mins).
        const uint32_t scales_lo = packed[0] & 0x3f3f3f3fu;
        const uint32_t mins_lo = packed[1] & 0x3f3f3f3fu;
        const uint32_t scales_hi = (packed[2] & 0x0f0f0f0fu) | ((packed[0] >> 2) & 0x30303030u);
        const uint32_t mins_hi = ((packed[2] >> 4) & 0x0f0f0f0fu) | ((packed[1] >> 2) & 0x30303030u);
        const __m128i scales16 =
            _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(scales_hi), static_cast<int>(scales_lo)));
        const __m128i mins16 =
            _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(mins_hi), static_cast<int>(mins_lo)));
        const __m256i scales_both = _mm256_broadcastsi128_si256(scales16);
        const __m256i mins_pairs =
            _mm256_set_m128i(_mm_unpackhi_epi16(mins16, mins16), _mm_unpacklo_epi16(mins16, mins16));
        const float d = fp16_to_f32(w.d), dmin = fp16_to_f32(w.dmin);

        __m256i isum[C];
        CLAWBOT_UNROLL
        for (__m256i& v : isum) v = _mm256_setzero_si256();
        CLAWBOT_UNROLL
        for (int p = 0; p < 4; ++p) {
            const __m256i packed_codes = load_256(w.qs + 32 * p);
            __m256i low = _mm256_and_si256(packed_codes, _mm256_set1_epi8(0x0F));
            __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed_codes, 4), _mm256_set1_epi8(0x0F));
            if constexpr (kFifthBit) {
                // Bits 2p and 2p+1 of qh, moved down to bits 0 and 1, then to bit 4.
                const __m256i fifth = _mm256_srl_epi16(load_256(w.qh), _mm_cvtsi32_si128(2 * p));
                const __m256i bit4 = _mm256_set1_epi8(0x10);
                low = _mm256_or_si256(low, _mm256_and_si256(_mm256_slli_epi16(fifth, 4), bit4));
                high = _mm256_or_si256(high, _mm256_and_si256(_mm256_slli_epi16(fifth, 3), bit4));
            }
            const __m256i scale_low = broadcast_word(scales_both, 2 * p);
            const __m256i scale_high = broadcast_word(scales_both, 2 * p + 1);
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes + kQ8KCodes + 64 * p;
                const __m256i lo = _mm256_madd_epi16(_mm256_maddubs_epi16(low, load_256(act)), scale_low);
                const __m256i hi = _mm256_madd_epi16(_mm256_maddubs_epi16(high, load_256(act + 32)), scale_high);
                isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(lo, hi));
            }
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes;
            const float d_act = load_f32(act);
            const __m256i offsets = _mm256_madd_epi16(load_256(act + kQ8KBsums), mins_pairs);
            sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_set1_ps(d * d_act), sums.acc[c]);
            sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(offsets), _mm256_set1_ps(-dmin * d_act), sums.acc[c]);
        }
    }
    sums.store(t);
}

// Codes of 32 elements: a low nibble from ql and two high bits from qh.
CLAWBOT_INLINE __m256i q6_k_codes(__m256i low_nibbles, __m256i high_bits_at_4) {
    return _mm256_or_si256(_mm256_and_si256(low_nibbles, _mm256_set1_epi8(0x0F)),
                           _mm256_and_si256(high_bits_at_4, _mm256_set1_epi8(0x30)));
}

template <int C>
void q6_k_row(const TileArgs& t) {
    Accumulators<C> sums;
    for (int64_t sb = 0; sb < t.k / kSuperElems; ++sb) {
        const auto& w = *reinterpret_cast<const BlockQ6_K*>(t.w + sb * sizeof(BlockQ6_K));
        const __m256i scales16 = _mm256_cvtepi8_epi16(load_128(reinterpret_cast<const uint8_t*>(w.scales)));
        const __m256i offset_scales = _mm256_mullo_epi16(scales16, _mm256_set1_epi16(-32));
        const __m256i scales_first = _mm256_permute2x128_si256(scales16, scales16, 0x00);   // sub-blocks 0-7 twice
        const __m256i scales_second = _mm256_permute2x128_si256(scales16, scales16, 0x11);  // 8-15 twice
        const float d = fp16_to_f32(w.d);

        // Start from -32 * sum(scale * bsum): the codes are stored as q + 32.
        __m256i isum[C];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes;
            isum[c] = _mm256_madd_epi16(load_256(act + kQ8KBsums), offset_scales);
        }
        CLAWBOT_UNROLL
        for (int half = 0; half < 2; ++half) {
            const __m256i ql0 = load_256(w.ql + 64 * half), ql1 = load_256(w.ql + 64 * half + 32);
            const __m256i qh = load_256(w.qh + 32 * half);
            // Element groups of 32 within the half, as the format lays them out.
            const __m256i codes[4] = {
                q6_k_codes(ql0, _mm256_slli_epi16(qh, 4)),
                q6_k_codes(ql1, _mm256_slli_epi16(qh, 2)),
                q6_k_codes(_mm256_srli_epi16(ql0, 4), qh),
                q6_k_codes(_mm256_srli_epi16(ql1, 4), _mm256_srli_epi16(qh, 2)),
            };
            const __m256i& scale_source = half == 0 ? scales_first : scales_second;
            CLAWBOT_UNROLL
            for (int g = 0; g < 4; ++g) {
                const __m256i scale = split_broadcast_words(scale_source, 2 * g, 2 * g + 1);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) {
                    const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes + kQ8KCodes + 128 * half + 32 * g;
                    const __m256i pairs = _mm256_maddubs_epi16(codes[g], load_256(act));
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(pairs, scale));
                }
            }
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const float d_act = load_f32(t.a + c * t.a_stride + sb * kQ8KBytes);
            sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_set1_ps(d * d_act), sums.acc[c]);
        }
    }
    sums.store(t);
}

// Q3_K and Q2_K: 16 sub-blocks of 16 like Q6_K, with 2-bit codes (bits 2g,
// 2g+1 of qs[32 * half + l] for element 128 * half + 32 g + l) and, for
// Q3_K, a third bit in hmask (bit 4 * half + g of hmask[l]). Q3_K's value
// is d * scale * (code - 4); Q2_K's d * scale * code - dmin * min.
template <int C, typename Block>
void small_k_row(const TileArgs& t) {
    constexpr bool kThreeBit = std::is_same_v<Block, BlockQ3_K>;
    Accumulators<C> sums;
    for (int64_t sb = 0; sb < t.k / kSuperElems; ++sb) {
        const auto& w = *reinterpret_cast<const Block*>(t.w + sb * sizeof(Block));
        alignas(32) int16_t scale_values[16];
        alignas(32) int16_t min_values[16];
        for (int s = 0; s < 16; ++s) {
            if constexpr (kThreeBit) {
                const int low = s < 8 ? (w.scales[s] & 0x0f) : (w.scales[s - 8] >> 4);
                const int high = (w.scales[8 + s % 4] >> (2 * (s / 4))) & 3;
                scale_values[s] = static_cast<int16_t>((low | (high << 4)) - 32);
            } else {
                scale_values[s] = static_cast<int16_t>(w.scales[s] & 0x0f);
                min_values[s] = static_cast<int16_t>(w.scales[s] >> 4);
            }
        }
        const __m256i scales16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(scale_values));
        const __m256i scales_first = _mm256_permute2x128_si256(scales16, scales16, 0x00);
        const __m256i scales_second = _mm256_permute2x128_si256(scales16, scales16, 0x11);
        const float d = fp16_to_f32(w.d);
        __m256i isum[C];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            if constexpr (kThreeBit) {
                // Codes are stored as level + 4: start from -4 * sum(scale * bsum).
                const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes;
                isum[c] = _mm256_madd_epi16(load_256(act + kQ8KBsums), _mm256_mullo_epi16(scales16, _mm256_set1_epi16(-4)));
            } else {
                isum[c] = _mm256_setzero_si256();
            }
        }
        [[maybe_unused]] __m256i hmask;
        if constexpr (kThreeBit) hmask = load_256(w.hmask);
        CLAWBOT_UNROLL
        for (int half = 0; half < 2; ++half) {
            const __m256i two = load_256(w.qs + 32 * half);
            const __m256i& scale_source = half == 0 ? scales_first : scales_second;
            CLAWBOT_UNROLL
            for (int g = 0; g < 4; ++g) {
                __m256i codes = _mm256_and_si256(_mm256_srl_epi16(two, _mm_cvtsi32_si128(2 * g)), _mm256_set1_epi8(0x03));
                if constexpr (kThreeBit) {
                    const __m256i third = _mm256_srl_epi16(hmask, _mm_cvtsi32_si128(4 * half + g));
                    codes = _mm256_or_si256(codes, _mm256_and_si256(_mm256_slli_epi16(third, 2), _mm256_set1_epi8(0x04)));
                }
                const __m256i scale = split_broadcast_words(scale_source, 2 * g, 2 * g + 1);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) {
                    const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes + kQ8KCodes + 128 * half + 32 * g;
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(_mm256_maddubs_epi16(codes, load_256(act)), scale));
                }
            }
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes;
            const float d_act = load_f32(act);
            sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_set1_ps(d * d_act), sums.acc[c]);
            if constexpr (!kThreeBit) {
                const __m256i mins16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(min_values));
                const __m256i offsets = _mm256_madd_epi16(load_256(act + kQ8KBsums), mins16);
                sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(offsets), _mm256_set1_ps(-fp16_to_f32(w.dmin) * d_act), sums.acc[c]);
            }
        }
    }
    sums.store(t);
}

// IQ4_XS: 8 sub-blocks of 32, nibbles (qs[16 s + l]: element 32 s + l low,
// 32 s + 16 + l high) looked up as signed levels, signed 6-bit scales.
template <int C>
void iq4_xs_row(const TileArgs& t) {
    Accumulators<C> sums;
    const __m256i table = _mm256_broadcastsi128_si256(load_128(reinterpret_cast<const uint8_t*>(kIq4Levels)));
    for (int64_t sb = 0; sb < t.k / kSuperElems; ++sb) {
        const auto& w = *reinterpret_cast<const BlockIQ4_XS*>(t.w + sb * sizeof(BlockIQ4_XS));
        __m256i isum[C];
        CLAWBOT_UNROLL
        for (__m256i& v : isum) v = _mm256_setzero_si256();
        for (int s = 0; s < 8; ++s) {
            const int low = (w.scales_l[s / 2] >> (4 * (s % 2))) & 0x0f;
            const int high = (w.scales_h >> (2 * s)) & 3;
            const __m256i scale = _mm256_set1_epi16(static_cast<int16_t>((low | (high << 4)) - 32));
            const __m128i packed = load_128(w.qs + 16 * s);
            const __m256i nibbles = _mm256_and_si256(
                _mm256_inserti128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1), _mm256_set1_epi8(0x0F));
            const __m256i levels = _mm256_shuffle_epi8(table, nibbles);
            const __m256i magnitude = _mm256_abs_epi8(levels);
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                const uint8_t* act = t.a + c * t.a_stride + sb * kQ8KBytes + kQ8KCodes + 32 * s;
                const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(load_256(act), levels));
                isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(pairs, scale));
            }
        }
        const float d = fp16_to_f32(w.d);
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const float d_act = load_f32(t.a + c * t.a_stride + sb * kQ8KBytes);
            sums.acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_set1_ps(d * d_act), sums.acc[c]);
        }
    }
    sums.store(t);
}

template <void (*kRow1)(const TileArgs&), void (*kRow2)(const TileArgs&), void (*kRow3)(const TileArgs&),
          void (*kRow4)(const TileArgs&)>
struct RowsTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        static_assert(R == 1 && C >= 1 && C <= 4);
        if constexpr (C == 1) kRow1(t);
        if constexpr (C == 2) kRow2(t);
        if constexpr (C == 3) kRow3(t);
        if constexpr (C == 4) kRow4(t);
    }
};

using Q3KTile = RowsTile<small_k_row<1, BlockQ3_K>, small_k_row<2, BlockQ3_K>, small_k_row<3, BlockQ3_K>,
                         small_k_row<4, BlockQ3_K>>;
using Q2KTile = RowsTile<small_k_row<1, BlockQ2_K>, small_k_row<2, BlockQ2_K>, small_k_row<3, BlockQ2_K>,
                         small_k_row<4, BlockQ2_K>>;
using IQ4XSTile = RowsTile<iq4_xs_row<1>, iq4_xs_row<2>, iq4_xs_row<3>, iq4_xs_row<4>>;

struct Q4KTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        static_assert(R == 1);
        q4_k_row<C>(t);
    }
};

struct Q5KTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        static_assert(R == 1);
        q4_k_row<C, BlockQ5_K>(t);
    }
};

struct Q6KTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        static_assert(R == 1);
        q6_k_row<C>(t);
    }
};

}  // namespace

void gemm_q4_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<Q4KTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q5_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<Q5KTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q3_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<Q3KTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q2_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<Q2KTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_iq4_xs(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                 int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<IQ4XSTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q6_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<Q6KTile, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx2
