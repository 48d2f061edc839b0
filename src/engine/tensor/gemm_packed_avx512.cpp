// gemm over packed Q4_0 / Q8_0 weights (packed_layout.h) with AVX-512 VNNI.
//
// A tile is one group of 16 weight rows x C activation rows. For each block
// of 32 elements, every 64-byte code chunk is one register holding 4 codes
// of each of the 16 rows; one vpdpbusd per activation row multiplies it by
// that row's 4 matching activation bytes, broadcast to all lanes. After the
// block's chunks, each lane holds one weight row's integer dot with the
// block, so the block's scales apply as one vector multiply: about 8 VNNI
// instructions for every 4 others, where the unpacked kernels spend most of
// their time on shuffles and horizontal sums.
//
// Codes are stored unsigned (value + offset, as VNNI wants); the activation
// block's precomputed code sum takes offset * sum back out before scaling.
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/packed_layout.h"
#include "engine/tensor/simd_avx512.h"

namespace clawbot::kernels::avx512 {
namespace {

constexpr int kMaxTileCols = 8;

// Software prefetch distance, into L2. The kernel does enough arithmetic per
// cache line that its out-of-order window reaches only ~2 KiB ahead, and the
// hardware prefetcher alone left single-sequence decode at about half the
// memory bandwidth. Measured on the 2-core Zen 4 host, TinyLlama Q4_0 decode,
// 2 threads, in alternation: none 30-37 tok/s; 4, 8, 16 KiB 37-40; 32 KiB
// 40-42. The target may lie past the thread's rows or the matrix: a
// prefetch never faults.
constexpr size_t kPrefetchBytes = 32 * 1024;

CLAWBOT_INLINE __m512i broadcast_4_bytes(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

// Independent accumulators per column: a tile of few columns has too few
// VNNI chains to hide their latency (decode, one column, ran at half the
// memory bandwidth with one chain), so it spreads a block over several.
template <int C>
constexpr int kSlots = C == 1 ? 4 : (C == 2 ? 2 : 1);

// Adds one code register (4 codes of each of 16 rows, for elements
// a_offset..a_offset+3) times the matching activation bytes of every column.
template <int C>
CLAWBOT_INLINE void accumulate(__m512i (&dot)[C][kSlots<C>], int step, __m512i codes,
                               const BlockQ8_0Sum* const (&a)[C], int a_offset) {
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) {
        const int slot = step % kSlots<C>;
        dot[c][slot] = _mm512_dpbusd_epi32(dot[c][slot], codes, broadcast_4_bytes(a[c]->qs + a_offset));
    }
}

struct Q4_0Codes {
    using Layout = packed::Q4_0Layout;
    template <int C>
    CLAWBOT_INLINE static void block(const uint8_t* codes, const BlockQ8_0Sum* const (&a)[C],
                                     __m512i (&dot)[C][kSlots<C>]) {
        const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
        CLAWBOT_UNROLL
        for (int c = 0; c < 4; ++c) {
            const __m512i raw = _mm512_load_si512(codes + c * packed::kChunkBytes);
            accumulate<C>(dot, 2 * c, _mm512_and_si512(raw, low_nibbles), a, 4 * c);
            accumulate<C>(dot, 2 * c + 1, _mm512_and_si512(_mm512_srli_epi16(raw, 4), low_nibbles), a, 16 + 4 * c);
        }
    }
};

struct Q8_0Codes {
    using Layout = packed::Q8_0Layout;
    template <int C>
    CLAWBOT_INLINE static void block(const uint8_t* codes, const BlockQ8_0Sum* const (&a)[C],
                                     __m512i (&dot)[C][kSlots<C>]) {
        CLAWBOT_UNROLL
        for (int c = 0; c < 8; ++c) {
            accumulate<C>(dot, c, _mm512_load_si512(codes + c * packed::kChunkBytes), a, 4 * c);
        }
    }
};

template <typename Codes, int C>
void group_tile(const uint8_t* group, int64_t cols, const uint8_t* act, size_t act_stride, float* out,
                size_t out_stride, __mmask16 live) {
    using Layout = typename Codes::Layout;
    const int64_t n_blocks = Layout::n_blocks(cols);
    const BlockQ8_0Sum* a[C];
    __m512 acc[C];
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) {
        a[c] = reinterpret_cast<const BlockQ8_0Sum*>(act + c * act_stride);
        acc[c] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < n_blocks; ++b) {
        __m512i dot[C][kSlots<C>];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            CLAWBOT_UNROLL
            for (__m512i& d : dot[c]) d = _mm512_setzero_si512();
        }
        const uint8_t* codes = Layout::codes(group, b);
        CLAWBOT_UNROLL
        for (size_t line = 0; line < Layout::code_bytes; line += 64) {
            _mm_prefetch(reinterpret_cast<const char*>(codes + kPrefetchBytes + line), _MM_HINT_T1);
        }
        Codes::template block<C>(codes, a, dot);
        const __m512 w_scales =
            _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(Layout::scales(group, cols, b))));
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            __m512i sum = dot[c][0];
            CLAWBOT_UNROLL
            for (int s = 1; s < kSlots<C>; ++s) sum = _mm512_add_epi32(sum, dot[c][s]);
            sum = _mm512_sub_epi32(sum, _mm512_set1_epi32(Layout::offset * a[c]->sum));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(w_scales, _mm512_set1_ps(a[c]->d)),
                                     acc[c]);
            ++a[c];
        }
    }
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * out_stride, live, acc[c]);
}

using GroupTileFn = void (*)(const uint8_t*, int64_t, const uint8_t*, size_t, float*, size_t, __mmask16);

template <typename Codes, int C = kMaxTileCols>
GroupTileFn pick_group_tile(int cols) {
    if constexpr (C > 1) {
        if (cols < C) return pick_group_tile<Codes, C - 1>(cols);
    }
    return &group_tile<Codes, C>;
}

template <typename Codes>
void gemm_packed(const uint8_t* packed, int64_t cols, int64_t row_begin, int64_t row_end, const void* act,
                 size_t act_stride, int64_t n_cols, float* out, size_t out_stride) {
    using Layout = typename Codes::Layout;
    const size_t group_stride = Layout::group_stride(cols);
    const auto* a = static_cast<const uint8_t*>(act);
    // Activation rows one pass over the weights works on: they are re-read
    // for every group, so they must stay in cache (see gemm_tiling.h).
    const int64_t fitting = static_cast<int64_t>(kActivationPassBytes / act_stride);
    const int64_t pass = fitting > kMaxTileCols ? fitting / kMaxTileCols * kMaxTileCols : kMaxTileCols;
    for (int64_t first = 0; first < n_cols; first += pass) {
        const int64_t last = n_cols - first < pass ? n_cols : first + pass;
        for (int64_t r = row_begin; r < row_end; r += kPackRows) {
            const uint8_t* group = packed + static_cast<size_t>(r / kPackRows) * group_stride;
            const int live_rows = row_end - r < kPackRows ? static_cast<int>(row_end - r) : kPackRows;
            const auto live = static_cast<__mmask16>((1u << live_rows) - 1);
            for (int64_t j = first; j < last; j += kMaxTileCols) {
                const int c = last - j < kMaxTileCols ? static_cast<int>(last - j) : kMaxTileCols;
                float* tile_out = out + static_cast<size_t>(j) * out_stride + static_cast<size_t>(r);
                const uint8_t* tile_act = a + static_cast<size_t>(j) * act_stride;
                if (c == kMaxTileCols) {
                    group_tile<Codes, kMaxTileCols>(group, cols, tile_act, act_stride, tile_out, out_stride, live);
                } else {
                    pick_group_tile<Codes>(c)(group, cols, tile_act, act_stride, tile_out, out_stride, live);
                }
            }
        }
    }
}

}  // namespace

void gemm_packed_q4_0(const uint8_t* packed, int64_t /*rows*/, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride) {
    gemm_packed<Q4_0Codes>(packed, cols, row_begin, row_end, act, act_stride, n_cols, out, out_stride);
}

void gemm_packed_q8_0(const uint8_t* packed, int64_t /*rows*/, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride) {
    gemm_packed<Q8_0Codes>(packed, cols, row_begin, row_end, act, act_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx512
