// Q4_0 and Q8_0 weights against Q8_0 activations, two 32-element blocks per
// 512-bit register. VNNI multiplies unsigned by signed bytes, so one side is
// made unsigned and the difference is taken back out per block:
//   Q4_0: codes n in [0, 15] are unsigned; sum (n - 8) a = sum n a - 8 sum a.
//   Q8_0: a + 128 is unsigned;             sum w a = sum w (a + 128) - 128 sum w.
// The int32 lanes of each block are then scaled by d_w * d_a in float.
//
// One activation row (single-sequence decode) takes a streaming path that
// walks the weight rows one after another: a single sequential stream keeps
// the hardware prefetcher ahead, which interleaved rows (short streams) do
// not. Batches take 4x4 tiles that apply each weight block to 4 activation
// rows and prefetch the next tile's rows.
#include "engine/tensor/block_formats.h"
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx512.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx512 {
namespace {

constexpr size_t kQ8Bytes = sizeof(BlockQ8_0);
constexpr size_t kQ4Bytes = sizeof(BlockQ4_0);

// Codes of one or two blocks, one element per byte in element order.
template <bool kPair>
CLAWBOT_INLINE __m512i q8_0_codes(const uint8_t* block) {
    return load_two_halves<kPair>(block + 2, block + kQ8Bytes + 2);
}

// Q4_0 keeps elements 0..15 in low and 16..31 in high nibbles of 16 bytes.
template <bool kPair>
CLAWBOT_INLINE __m512i q4_0_codes(const uint8_t* block) {
    __m512i v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2)));
    if constexpr (kPair) {
        v = _mm512_mask_broadcast_i32x4(v, 0xFF00,
                                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + kQ4Bytes + 2)));
    }
    v = _mm512_srlv_epi64(v, _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0));
    return _mm512_and_si512(v, _mm512_set1_epi8(0x0F));
}

// -8 * (sum of each 4 activation bytes): Q4_0's offset, per activation row.
CLAWBOT_INLINE __m512i q4_0_offset(__m512i act) {
    return _mm512_sub_epi32(_mm512_setzero_si512(),
                            _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(8), act));
}

// -128 * (sum of each 4 weight bytes): Q8_0's offset, per weight row.
CLAWBOT_INLINE __m512i q8_0_offset(__m512i codes) {
    return _mm512_sub_epi32(
        _mm512_setzero_si512(),
        _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(static_cast<char>(0x80)), codes));
}

CLAWBOT_INLINE __m512i unsigned_act(__m512i act) {
    return _mm512_xor_si512(act, _mm512_set1_epi8(static_cast<char>(0x80)));
}

struct Q4_0Weights {
    static constexpr size_t kBytes = kQ4Bytes;
    template <bool kPair>
    CLAWBOT_INLINE static __m512i codes(const uint8_t* block) {
        return q4_0_codes<kPair>(block);
    }
    CLAWBOT_INLINE static __m512i dot(__m512i codes, __m512i act) {
        return _mm512_dpbusd_epi32(q4_0_offset(act), codes, act);
    }
};

struct Q8_0Weights {
    static constexpr size_t kBytes = kQ8Bytes;
    template <bool kPair>
    CLAWBOT_INLINE static __m512i codes(const uint8_t* block) {
        return q8_0_codes<kPair>(block);
    }
    CLAWBOT_INLINE static __m512i dot(__m512i codes, __m512i act) {
        return _mm512_dpbusd_epi32(q8_0_offset(codes), unsigned_act(act), codes);
    }
};

// Lanes 0-7 get scales[2p], lanes 8-15 scales[2p + 1].
CLAWBOT_INLINE __m512 spread_pair(__m256 scales, int p) {
    const __m512i pick =
        _mm512_add_epi32(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_set1_epi32(2 * p));
    return _mm512_permutexvar_ps(pick, _mm512_castps256_ps512(scales));
}

template <typename Weights, bool kPair>
CLAWBOT_INLINE void stream_pair(const uint8_t* w, const uint8_t* a, __m512& acc) {
    const __m512i dot = Weights::dot(Weights::template codes<kPair>(w), q8_0_codes<kPair>(a));
    const __m512 scale = _mm512_mul_ps(pair_scales<kPair>(w, Weights::kBytes), pair_scales<kPair>(a, kQ8Bytes));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
}

template <typename Weights>
CLAWBOT_INLINE float stream_row(int64_t n_blocks, const uint8_t* w, const uint8_t* a) {
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t b = 0;
    for (; b + 8 <= n_blocks; b += 8) {
        const uint8_t* wb = w + b * Weights::kBytes;
        const uint8_t* ab = a + b * kQ8Bytes;
        const __m256 scales = _mm256_mul_ps(eight_scales(wb, Weights::kBytes), eight_scales(ab, kQ8Bytes));
        CLAWBOT_UNROLL
        for (int p = 0; p < 4; ++p) {
            const __m512i dot = Weights::dot(Weights::template codes<true>(wb + 2 * p * Weights::kBytes),
                                             q8_0_codes<true>(ab + 2 * p * kQ8Bytes));
            acc[p % 2] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), spread_pair(scales, p), acc[p % 2]);
        }
    }
    for (; b + 2 <= n_blocks; b += 2) stream_pair<Weights, true>(w + b * Weights::kBytes, a + b * kQ8Bytes, acc[0]);
    if (b < n_blocks) stream_pair<Weights, false>(w + b * Weights::kBytes, a + b * kQ8Bytes, acc[1]);
    return _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
}

template <typename Weights>
void stream_rows(int64_t k, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, float* out) {
    for (int64_t i = 0; i < n_rows; ++i) out[i] = stream_row<Weights>(k / kQ8_0Elems, w + i * w_stride, a);
}

// --- tiles for batches -------------------------------------------------------

// Block scales of (up to) 4 weight rows x 2 blocks as [r0b0 r0b1 r1b0 ...],
// gathered in general registers (see eight_scales) and converted at once.
template <int R, bool kPair>
CLAWBOT_INLINE __m256 row_scales(const TileArgs& t, int64_t block, size_t block_bytes) {
    static_assert(R <= 4);
    auto row_pair = [&](int r) -> uint64_t {
        if (r >= R) return 0;
        const uint8_t* w = t.w + r * t.w_stride + block * block_bytes;
        return load_u16(w) | (kPair ? static_cast<uint64_t>(load_u16(w + block_bytes)) << 16 : 0);
    };
    const uint64_t low = row_pair(0) | row_pair(1) << 32, high = row_pair(2) | row_pair(3) << 32;
    return _mm256_cvtph_ps(_mm_set_epi64x(static_cast<long long>(high), static_cast<long long>(low)));
}

// An activation row's two block scales, repeated to line up with row_scales.
template <bool kPair>
CLAWBOT_INLINE __m256 col_scales(const uint8_t* a_block) {
    const uint32_t pair = load_u16(a_block) | (kPair ? static_cast<uint32_t>(load_u16(a_block + kQ8Bytes)) << 16 : 0u);
    return _mm256_cvtph_ps(_mm_set1_epi32(static_cast<int>(pair)));
}

// Reading the next row tile while this one computes hides the start-up
// misses of its short per-row streams.
template <int R>
CLAWBOT_INLINE void prefetch_next_tile(const TileArgs& t, int64_t offset) {
    CLAWBOT_UNROLL
    for (int r = 0; r < R; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(t.w + (R + r) * t.w_stride + offset), _MM_HINT_T0);
    }
}

// One step over one or two blocks for every (row, column) of the tile; the
// per-column (Q4_0) or per-row (Q8_0) offsets are computed once per step.
template <int R, int C, bool kPair>
CLAWBOT_INLINE void q4_0_step(const TileArgs& t, int64_t block, __m512 (&acc)[R][C]) {
    prefetch_next_tile<R>(t, block * kQ4Bytes);
    const __m256 w_scales = row_scales<R, kPair>(t, block, kQ4Bytes);
    __m512i act[C], offset[C];
    __m256 scales[C];
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) {
        const uint8_t* a = t.a + c * t.a_stride + block * kQ8Bytes;
        act[c] = q8_0_codes<kPair>(a);
        offset[c] = q4_0_offset(act[c]);
        scales[c] = _mm256_mul_ps(w_scales, col_scales<kPair>(a));
    }
    CLAWBOT_UNROLL
    for (int r = 0; r < R; ++r) {
        const __m512i codes = q4_0_codes<kPair>(t.w + r * t.w_stride + block * kQ4Bytes);
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m512i dot = _mm512_dpbusd_epi32(offset[c], codes, act[c]);
            acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), spread_pair(scales[c], r), acc[r][c]);
        }
    }
}

template <int R, int C, bool kPair>
CLAWBOT_INLINE void q8_0_step(const TileArgs& t, int64_t block, __m512 (&acc)[R][C]) {
    prefetch_next_tile<R>(t, block * kQ8Bytes);
    const __m256 w_scales = row_scales<R, kPair>(t, block, kQ8Bytes);
    __m512i act[C];
    __m256 scales[C];
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) {
        const uint8_t* a = t.a + c * t.a_stride + block * kQ8Bytes;
        act[c] = unsigned_act(q8_0_codes<kPair>(a));
        scales[c] = _mm256_mul_ps(w_scales, col_scales<kPair>(a));
    }
    CLAWBOT_UNROLL
    for (int r = 0; r < R; ++r) {
        const __m512i codes = q8_0_codes<kPair>(t.w + r * t.w_stride + block * kQ8Bytes);
        const __m512i offset = q8_0_offset(codes);
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m512i dot = _mm512_dpbusd_epi32(offset, act[c], codes);
            acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), spread_pair(scales[c], r), acc[r][c]);
        }
    }
}

template <typename Step>
struct BlockPairTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        __m512 acc[R][C];
        CLAWBOT_UNROLL
        for (auto& row : acc) {
            CLAWBOT_UNROLL
            for (__m512& v : row) v = _mm512_setzero_ps();
        }
        const int64_t n_blocks = t.k / kQ8_0Elems;
        int64_t b = 0;
        for (; b + 2 <= n_blocks; b += 2) Step::template step<R, C, true>(t, b, acc);
        if (b < n_blocks) Step::template step<R, C, false>(t, b, acc);
        CLAWBOT_UNROLL
        for (int r = 0; r < R; ++r) {
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) t.out[c * t.out_stride + r] = _mm512_reduce_add_ps(acc[r][c]);
        }
    }
};

struct Q4_0Step {
    template <int R, int C, bool kPair>
    CLAWBOT_INLINE static void step(const TileArgs& t, int64_t block, __m512 (&acc)[R][C]) {
        q4_0_step<R, C, kPair>(t, block, acc);
    }
};

struct Q8_0Step {
    template <int R, int C, bool kPair>
    CLAWBOT_INLINE static void step(const TileArgs& t, int64_t block, __m512 (&acc)[R][C]) {
        q8_0_step<R, C, kPair>(t, block, acc);
    }
};

}  // namespace

void gemm_q4_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    if (n_cols == 1) {
        stream_rows<Q4_0Weights>(k, static_cast<const uint8_t*>(w), w_stride, n_rows, static_cast<const uint8_t*>(a),
                                 out);
        return;
    }
    tiled_gemm<BlockPairTile<Q4_0Step>, 4, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q8_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    if (n_cols == 1) {
        stream_rows<Q8_0Weights>(k, static_cast<const uint8_t*>(w), w_stride, n_rows, static_cast<const uint8_t*>(a),
                                 out);
        return;
    }
    tiled_gemm<BlockPairTile<Q8_0Step>, 4, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx512
