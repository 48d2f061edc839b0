// The blocks of 32 (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, IQ4_NL) against Q8_0
// activations with AVX2, one block per register. Without VNNI, bytes are
// multiplied with maddubs (unsigned x signed -> int16 pairs) and widened
// with madd:
//   Q4_0 / Q5_0: codes n in [0, 15] / [0, 31] are unsigned;
//     (n - o) a = n a - o a per pair.
//   Q8_0, IQ4_NL: |w| x (a with w's sign): the product keeps its sign, |w| <= 128.
//   Q4_1 / Q5_1: n a, and the block's offset m times the activation sum.
// Each weight row meets up to 4 activation rows at once, and rows are
// visited in memory order so the weights form one sequential stream.
#include <cstddef>
#include <cstring>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx2.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx2 {
namespace {

constexpr size_t kQ8Bytes = sizeof(BlockQ8_0);

CLAWBOT_INLINE __m256i widen_pairs(__m256i pairs16) { return _mm256_madd_epi16(pairs16, _mm256_set1_epi16(1)); }

struct Q4_0Weights {
    static constexpr size_t kBytes = sizeof(BlockQ4_0);
    static constexpr bool kHasMin = false;
    struct Codes {
        __m256i n;  // elements 0..31, one per byte
    };
    CLAWBOT_INLINE static Codes load(const uint8_t* block) {
        const __m128i packed = load_128(block + 2);
        const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1);
        return {_mm256_and_si256(both, _mm256_set1_epi8(0x0F))};
    }
    CLAWBOT_INLINE static __m256i dot(const Codes& w, __m256i act) {
        const __m256i eights = _mm256_maddubs_epi16(_mm256_set1_epi8(8), act);
        return widen_pairs(_mm256_sub_epi16(_mm256_maddubs_epi16(w.n, act), eights));
    }
};

// The 32 bits of a Q5 block's qh as bit 4 of 32 bytes (element i's byte).
CLAWBOT_INLINE __m256i fifth_bits(const uint8_t* qh) {
    uint32_t bits;
    std::memcpy(&bits, qh, sizeof bits);
    // Byte i takes qh byte i / 8, then keeps bit i % 8.
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                               _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL,
                                                                  0x0303030303030303LL));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

CLAWBOT_INLINE __m256i nibbles(const uint8_t* qs) {
    const __m128i packed = load_128(qs);
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// Unsigned codes n with value d * (n - kOffset) [+ m]: Q4_1, Q5_0, Q5_1.
template <typename Block, int kOffset, bool kFifthBit>
struct UnsignedCodeWeights {
    static constexpr size_t kBytes = sizeof(Block);
    static constexpr bool kHasMin = kOffset == 0;
    struct Codes {
        __m256i n;
    };
    CLAWBOT_INLINE static Codes load(const uint8_t* block) {
        const __m256i n = nibbles(block + offsetof(Block, qs));
        if constexpr (kFifthBit) return {_mm256_or_si256(n, fifth_bits(block + offsetof(Block, qh)))};
        return {n};
    }
    CLAWBOT_INLINE static __m256i dot(const Codes& w, __m256i act) {
        const __m256i products = _mm256_maddubs_epi16(w.n, act);
        if constexpr (kOffset == 0) return widen_pairs(products);
        return widen_pairs(_mm256_sub_epi16(products, _mm256_maddubs_epi16(_mm256_set1_epi8(kOffset), act)));
    }
};

using Q4_1Weights = UnsignedCodeWeights<BlockQ4_1, 0, false>;
using Q5_0Weights = UnsignedCodeWeights<BlockQ5_0, 16, true>;
using Q5_1Weights = UnsignedCodeWeights<BlockQ5_1, 0, true>;

// IQ4_NL: nibbles looked up as signed levels, then Q8_0's sign trick.
struct IQ4_NLWeights {
    static constexpr size_t kBytes = sizeof(BlockIQ4_NL);
    static constexpr bool kHasMin = false;
    struct Codes {
        __m256i w, magnitude;
    };
    CLAWBOT_INLINE static Codes load(const uint8_t* block) {
        const __m256i table = _mm256_broadcastsi128_si256(load_128(reinterpret_cast<const uint8_t*>(kIq4Levels)));
        const __m256i w = _mm256_shuffle_epi8(table, nibbles(block + offsetof(BlockIQ4_NL, qs)));
        return {w, _mm256_abs_epi8(w)};
    }
    CLAWBOT_INLINE static __m256i dot(const Codes& w, __m256i act) {
        return widen_pairs(_mm256_maddubs_epi16(w.magnitude, _mm256_sign_epi8(act, w.w)));
    }
};

struct Q8_0Weights {
    static constexpr size_t kBytes = kQ8Bytes;
    static constexpr bool kHasMin = false;
    struct Codes {
        __m256i w, magnitude;
    };
    CLAWBOT_INLINE static Codes load(const uint8_t* block) {
        const __m256i w = load_256(block + 2);
        return {w, _mm256_abs_epi8(w)};
    }
    CLAWBOT_INLINE static __m256i dot(const Codes& w, __m256i act) {
        return widen_pairs(_mm256_maddubs_epi16(w.magnitude, _mm256_sign_epi8(act, w.w)));
    }
};

// One weight row against C activation rows. Scales are converted 8 blocks
// at a time; block j of a group picks lane j of the products.
template <typename Weights, int C>
void row_dots(const TileArgs& t) {
    __m256 acc[C];
    CLAWBOT_UNROLL
    for (__m256& v : acc) v = _mm256_setzero_ps();
    const int64_t n_blocks = t.k / kQ8_0Elems;
    auto act = [&](int c, int64_t b) { return t.a + c * t.a_stride + b * kQ8Bytes; };
    int64_t b = 0;
    for (; b + 8 <= n_blocks; b += 8) {
        const __m256 w_scales = eight_scales(t.w + b * Weights::kBytes, Weights::kBytes);
        __m256 scales[C];
        [[maybe_unused]] __m256 mins[C];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256 act_scales = eight_scales(act(c, b), kQ8Bytes);
            scales[c] = _mm256_mul_ps(w_scales, act_scales);
            // The offsets m follow d in the block: m * d_a per block.
            if constexpr (Weights::kHasMin) mins[c] = _mm256_mul_ps(eight_scales(t.w + b * Weights::kBytes + 2, Weights::kBytes), act_scales);
        }
        CLAWBOT_UNROLL
        for (int j = 0; j < 8; ++j) {
            const auto codes = Weights::load(t.w + (b + j) * Weights::kBytes);
            const __m256i lane = _mm256_set1_epi32(j);
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                const __m256i a = load_256(act(c, b + j) + 2);
                const __m256i dot = Weights::dot(codes, a);
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_permutevar8x32_ps(scales[c], lane), acc[c]);
                if constexpr (Weights::kHasMin) {
                    const __m256i sum = widen_pairs(_mm256_maddubs_epi16(_mm256_set1_epi8(1), a));
                    acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_permutevar8x32_ps(mins[c], lane), acc[c]);
                }
            }
        }
    }
    for (; b < n_blocks; ++b) {
        const uint8_t* w = t.w + b * Weights::kBytes;
        const auto codes = Weights::load(w);
        const float w_scale = fp16_to_f32(load_u16(w));
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256i a = load_256(act(c, b) + 2);
            const __m256i dot = Weights::dot(codes, a);
            const float a_scale = fp16_to_f32(load_u16(act(c, b)));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(w_scale * a_scale), acc[c]);
            if constexpr (Weights::kHasMin) {
                const __m256i sum = widen_pairs(_mm256_maddubs_epi16(_mm256_set1_epi8(1), a));
                const float m = fp16_to_f32(load_u16(w + 2));
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(m * a_scale), acc[c]);
            }
        }
    }
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) t.out[c * t.out_stride] = hsum(acc[c]);
}

template <typename Weights>
struct RowTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        static_assert(R == 1);
        row_dots<Weights, C>(t);
    }
};

}  // namespace

void gemm_q4_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<Q4_0Weights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q8_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<Q8_0Weights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q4_1(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<Q4_1Weights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q5_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<Q5_0Weights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q5_1(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<Q5_1Weights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_iq4_nl(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                 int64_t n_cols, float* out, size_t out_stride) {
    tiled_gemm<RowTile<IQ4_NLWeights>, 1, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx2
