// gemm over packed weights (packed_layout.h) with AVX-512 VNNI.
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
#include "engine/tensor/block_formats.h"
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
// prefetch never faults. Per type (bench/kernels_bench.cpp, one thread, one
// column): Q6_K needs it most (8-10 GB/s without, 18-21 with: it reads two
// code planes and its scales as separate streams); Q8_0, with the least
// arithmetic per byte, is faster without (25-27.5 against 20.5 GB/s).
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

// (a & 0x10) | b per byte: bit 4 of a (a code's fifth bit, moved there)
// over b (its low nibble).
CLAWBOT_INLINE __m512i merge_fifth_bit(__m512i a, __m512i b) {
    return _mm512_ternarylogic_epi32(a, _mm512_set1_epi8(0x10), b, 0xEA);
}

// IQ4_NL / IQ4_XS levels as unsigned bytes (level + 128), one copy per
// 128-bit lane for vpshufb.
CLAWBOT_INLINE __m512i iq4_level_table() {
    alignas(16) static constexpr uint8_t kTable[16] = {
        static_cast<uint8_t>(kIq4Levels[0] + 128),  static_cast<uint8_t>(kIq4Levels[1] + 128),
        static_cast<uint8_t>(kIq4Levels[2] + 128),  static_cast<uint8_t>(kIq4Levels[3] + 128),
        static_cast<uint8_t>(kIq4Levels[4] + 128),  static_cast<uint8_t>(kIq4Levels[5] + 128),
        static_cast<uint8_t>(kIq4Levels[6] + 128),  static_cast<uint8_t>(kIq4Levels[7] + 128),
        static_cast<uint8_t>(kIq4Levels[8] + 128),  static_cast<uint8_t>(kIq4Levels[9] + 128),
        static_cast<uint8_t>(kIq4Levels[10] + 128), static_cast<uint8_t>(kIq4Levels[11] + 128),
        static_cast<uint8_t>(kIq4Levels[12] + 128), static_cast<uint8_t>(kIq4Levels[13] + 128),
        static_cast<uint8_t>(kIq4Levels[14] + 128), static_cast<uint8_t>(kIq4Levels[15] + 128)};
    return _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kTable)));
}

enum class NibbleKind { Plain, FifthBit, Iq4Lookup };

// A block of 32 stored as 4 nibble chunks (packed_layout.h): Q4_0, Q4_1
// (plain), Q5_0, Q5_1 (plus a chunk of fifth bits) and IQ4_NL (looked up).
template <typename L, NibbleKind kKind>
struct NibbleCodes {
    using Layout = L;
    static constexpr bool kPrefetch = true;
    template <int C>
    CLAWBOT_INLINE static void block(const uint8_t* codes, const BlockQ8_0Sum* const (&a)[C],
                                     __m512i (&dot)[C][kSlots<C>]) {
        const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
        [[maybe_unused]] __m512i fifth, table;
        if constexpr (kKind == NibbleKind::FifthBit) fifth = _mm512_load_si512(codes + 4 * packed::kChunkBytes);
        if constexpr (kKind == NibbleKind::Iq4Lookup) table = iq4_level_table();
        CLAWBOT_UNROLL
        for (int c = 0; c < 4; ++c) {
            const __m512i raw = _mm512_load_si512(codes + c * packed::kChunkBytes);
            __m512i lo = _mm512_and_si512(raw, low_nibbles);
            __m512i hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low_nibbles);
            if constexpr (kKind == NibbleKind::FifthBit) {
                // Registers 2c and 2c+1 take bits 2c and 2c+1 of each byte;
                // `fifth` moves down 2 bits per step, so they sit at bits 0
                // and 1. (Bits the 16-bit shift pulls in from the next byte
                // land at bits 6-7 and never reach bit 4.)
                lo = merge_fifth_bit(_mm512_slli_epi16(fifth, 4), lo);
                hi = merge_fifth_bit(_mm512_slli_epi16(fifth, 3), hi);
                fifth = _mm512_srli_epi16(fifth, 2);
            }
            if constexpr (kKind == NibbleKind::Iq4Lookup) {
                lo = _mm512_shuffle_epi8(table, lo);
                hi = _mm512_shuffle_epi8(table, hi);
            }
            accumulate<C>(dot, 2 * c, lo, a, 4 * c);
            accumulate<C>(dot, 2 * c + 1, hi, a, 16 + 4 * c);
        }
    }
};

using Q4_0Codes = NibbleCodes<packed::Q4_0Layout, NibbleKind::Plain>;
using Q4_1Codes = NibbleCodes<packed::Q4_1Layout, NibbleKind::Plain>;
using Q5_0Codes = NibbleCodes<packed::Q5_0Layout, NibbleKind::FifthBit>;
using Q5_1Codes = NibbleCodes<packed::Q5_1Layout, NibbleKind::FifthBit>;
using IQ4_NLCodes = NibbleCodes<packed::IQ4_NLLayout, NibbleKind::Iq4Lookup>;

struct Q8_0Codes {
    using Layout = packed::Q8_0Layout;
    static constexpr bool kPrefetch = false;
    template <int C>
    CLAWBOT_INLINE static void block(const uint8_t* codes, const BlockQ8_0Sum* const (&a)[C],
                                     __m512i (&dot)[C][kSlots<C>]) {
        CLAWBOT_UNROLL
        for (int c = 0; c < 8; ++c) {
            accumulate<C>(dot, c, _mm512_load_si512(codes + c * packed::kChunkBytes), a, 4 * c);
        }
    }
};

CLAWBOT_INLINE void prefetch_codes(const uint8_t* codes, size_t bytes) {
    for (size_t line = 0; line < bytes; line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(codes + kPrefetchBytes + line), _MM_HINT_T1);
    }
}

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
        if constexpr (Codes::kPrefetch) prefetch_codes(codes, Layout::code_bytes);
        Codes::template block<C>(codes, a, dot);
        const __m512 w_scales =
            _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(Layout::scales(group, cols, b))));
        [[maybe_unused]] __m512 w_mins;
        if constexpr (Layout::has_min) {
            w_mins = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(Layout::mins(group, cols, b))));
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            __m512i sum = dot[c][0];
            CLAWBOT_UNROLL
            for (int s = 1; s < kSlots<C>; ++s) sum = _mm512_add_epi32(sum, dot[c][s]);
            if constexpr (Layout::offset != 0) sum = _mm512_sub_epi32(sum, _mm512_set1_epi32(Layout::offset * a[c]->sum));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(w_scales, _mm512_set1_ps(a[c]->d)),
                                     acc[c]);
            if constexpr (Layout::has_min) {
                // + m * d_a * sum(a): the rows' offsets times the block's activation sum.
                acc[c] = _mm512_fmadd_ps(w_mins, _mm512_set1_ps(a[c]->d * static_cast<float>(a[c]->sum)), acc[c]);
            }
            ++a[c];
        }
    }
    CLAWBOT_UNROLL
    for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * out_stride, live, acc[c]);
}

// The Q4_0 / Q8_0 family as a kernel for the driver below.
template <typename Codes>
struct Block32Kernel {
    using Layout = typename Codes::Layout;
    static constexpr int kMaxCols = kMaxTileCols;
    template <int C>
    static void tile(const uint8_t* group, int64_t cols, const uint8_t* act, size_t act_stride, float* out,
                     size_t out_stride, __mmask16 live) {
        group_tile<Codes, C>(group, cols, act, act_stride, out, out_stride, live);
    }
};

// --- Q4_K, Q5_K, IQ4_XS -------------------------------------------------------
//
// value = d * scale[j] * q - dmin * min[j] for sub-block j (32 elements), so
// a row's dot with a Q8_K activation block (scale d_a, codes a, per-16 sums)
// is d_a * (d * sum_j scale[j] * (q . a)_j - dmin * sum_j min[j] * sum_j(a)).
// The (q . a)_j come from VNNI as for Q4_0, then take their sub-block scale
// as an int32 multiply; the min term is 4 int16-pair multiply-adds of the
// rows' min pairs with the activation's sub-block sums.
//
// Q5_K adds a fifth code bit per element. IQ4_XS fits the same form: with
// its nibbles looked up as level + 128 (unsigned, for VNNI), value = d * s *
// (code - 128) = d * s * code - (128 d) * s, so its signed scales s serve as
// both the scales and the mins, the min term shifted left by 7.
template <typename L, NibbleKind kKind, bool kSignedScales, int kMinShift>
struct SuperBlock8x32Kernel {
    using Layout = L;
    static constexpr int kMaxCols = 4;

    CLAWBOT_INLINE static __m512i widen_scales(const uint8_t* p) {
        const __m128i bytes = _mm_load_si128(reinterpret_cast<const __m128i*>(p));
        return kSignedScales ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
    }
    CLAWBOT_INLINE static __m512i widen_min_pairs(const uint8_t* p) {
        const __m256i bytes = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        return kSignedScales ? _mm512_cvtepi8_epi16(bytes) : _mm512_cvtepu8_epi16(bytes);
    }  // 4 accumulators per column must fit the 32 registers

    // The activation's 8 sub-block sums as int16 pairs (s0,s1), (s2,s3),
    // (s4,s5), (s6,s7), each pair broadcast to a register.
    CLAWBOT_INLINE static void sub_block_sum_pairs(const BlockQ8_K* a, __m512i (&pairs)[4]) {
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a->bsums));
        const __m256i sums = _mm256_madd_epi16(bsums, _mm256_set1_epi16(1));  // s0..s7 as int32
        // Per 128-bit lane: s0 s1 s2 s3 s0 s1 s2 s3 | s4 s5 s6 s7 ...; as
        // 32-bit words, 0 = (s0,s1), 1 = (s2,s3), 4 = (s4,s5), 5 = (s6,s7).
        const __m512i words = _mm512_castsi256_si512(_mm256_packs_epi32(sums, sums));
        constexpr int kWord[4] = {0, 1, 4, 5};
        CLAWBOT_UNROLL
        for (int q = 0; q < 4; ++q) pairs[q] = _mm512_permutexvar_epi32(_mm512_set1_epi32(kWord[q]), words);
    }

    template <int C>
    static void tile(const uint8_t* group, int64_t cols, const uint8_t* act, size_t act_stride, float* out,
                     size_t out_stride, __mmask16 live) {
        constexpr int kSlotsK = C == 1 ? 2 : 1;
        const int64_t n_blocks = Layout::n_blocks(cols);
        const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
        [[maybe_unused]] __m512i table;
        if constexpr (kKind == NibbleKind::Iq4Lookup) table = iq4_level_table();
        const BlockQ8_K* a[C];
        __m512 acc[C];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            a[c] = reinterpret_cast<const BlockQ8_K*>(act + c * act_stride);
            acc[c] = _mm512_setzero_ps();
        }
        for (int64_t b = 0; b < n_blocks; ++b) {
            const uint8_t* codes = Layout::codes(group, b);
            const uint8_t* meta = Layout::meta(group, cols, b);
            __m512i scaled[C];
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) scaled[c] = _mm512_setzero_si512();
            for (int p = 0; p < 4; ++p) {
                prefetch_codes(codes + p * 8 * packed::kChunkBytes, 8 * packed::kChunkBytes);
                if constexpr (Layout::fifth_bytes != 0) {
                    prefetch_codes(codes + Layout::nibble_bytes + p * Layout::fifth_bytes / 4, Layout::fifth_bytes / 4);
                }
                __m512i low[C][kSlotsK], high[C][kSlotsK];
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) {
                    CLAWBOT_UNROLL
                    for (int s = 0; s < kSlotsK; ++s) low[c][s] = high[c][s] = _mm512_setzero_si512();
                }
                CLAWBOT_UNROLL
                for (int k = 0; k < 8; ++k) {
                    const __m512i raw = _mm512_load_si512(codes + (8 * p + k) * packed::kChunkBytes);
                    __m512i lo = _mm512_and_si512(raw, low_nibbles);
                    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low_nibbles);
                    if constexpr (kKind == NibbleKind::FifthBit) {
                        // Sub-blocks 2p and 2p+1 take bits 2p and 2p+1 of the
                        // fifth-bit chunk; shifted down to bits 0 and 1 (the
                        // 16-bit shift pulls bits into the top only).
                        const __m512i fifth = _mm512_srl_epi16(
                            _mm512_load_si512(codes + Layout::nibble_bytes + k * packed::kChunkBytes),
                            _mm_cvtsi32_si128(2 * p));
                        lo = merge_fifth_bit(_mm512_slli_epi16(fifth, 4), lo);
                        hi = merge_fifth_bit(_mm512_slli_epi16(fifth, 3), hi);
                    }
                    if constexpr (kKind == NibbleKind::Iq4Lookup) {
                        lo = _mm512_shuffle_epi8(table, lo);
                        hi = _mm512_shuffle_epi8(table, hi);
                    }
                    CLAWBOT_UNROLL
                    for (int c = 0; c < C; ++c) {
                        const int8_t* qs = a[c]->qs + 64 * p + 4 * k;
                        low[c][k % kSlotsK] = _mm512_dpbusd_epi32(low[c][k % kSlotsK], lo, broadcast_4_bytes(qs));
                        high[c][k % kSlotsK] =
                            _mm512_dpbusd_epi32(high[c][k % kSlotsK], hi, broadcast_4_bytes(qs + 32));
                    }
                }
                const __m512i scale_low = widen_scales(meta + 2 * p * kPackRows);
                const __m512i scale_high = widen_scales(meta + (2 * p + 1) * kPackRows);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) {
                    __m512i lo = low[c][0], hi = high[c][0];
                    if constexpr (kSlotsK == 2) {
                        lo = _mm512_add_epi32(lo, low[c][1]);
                        hi = _mm512_add_epi32(hi, high[c][1]);
                    }
                    scaled[c] = _mm512_add_epi32(
                        scaled[c], _mm512_add_epi32(_mm512_mullo_epi32(lo, scale_low), _mm512_mullo_epi32(hi, scale_high)));
                }
            }
            __m512i min_pairs[4];
            CLAWBOT_UNROLL
            for (int q = 0; q < 4; ++q) {
                min_pairs[q] = widen_min_pairs(meta + Layout::min_offset + q * 2 * kPackRows);
            }
            const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(meta + Layout::d_offset)));
            const __m512 dmin =
                _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(meta + Layout::dmin_offset)));
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                __m512i sums[4];
                sub_block_sum_pairs(a[c], sums);
                __m512i mins = _mm512_setzero_si512();
                CLAWBOT_UNROLL
                for (int q = 0; q < 4; ++q) mins = _mm512_dpwssd_epi32(mins, min_pairs[q], sums[q]);
                if constexpr (kMinShift != 0) mins = _mm512_slli_epi32(mins, kMinShift);
                const __m512 da = _mm512_set1_ps(a[c]->d);
                acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(scaled[c]), _mm512_mul_ps(d, da), acc[c]);
                acc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(dmin, da), acc[c]);
                ++a[c];
            }
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * out_stride, live, acc[c]);
    }
};

using Q4_KKernel = SuperBlock8x32Kernel<packed::Q4_KLayout, NibbleKind::Plain, false, 0>;
using Q5_KKernel = SuperBlock8x32Kernel<packed::Q5_KLayout, NibbleKind::FifthBit, false, 0>;
using IQ4_XSKernel = SuperBlock8x32Kernel<packed::IQ4_XSLayout, NibbleKind::Iq4Lookup, true, 7>;

// --- Q6_K, Q3_K, Q2_K ---------------------------------------------------------
//
// value = d * scale[s] * (q - offset) for sub-block s (16 elements, int8
// scale), so a row's dot with a Q8_K activation block is
//   d_a * d * (sum_s scale[s] * (q . a)_s - offset * sum_s scale[s] * sum_s(a)).
// The codes are rebuilt from their bit planes (shifts and one ternary-logic
// op per register), the (q . a)_s come from VNNI and take their scale as an
// int32 multiply, and the offset term is 8 int16-pair multiply-adds of the
// rows' scale pairs with the activation's per-16 sums (which are exactly
// Q8_K's bsums). Q2_K has no offset but mins: its second term is
// dmin * sum_s min[s] * sum_s(a), from the min pairs the same way.
template <typename L>
struct SuperBlock16x16Kernel {
    using Layout = L;
    static constexpr int kMaxCols = 4;
    static constexpr int kOffsetShift = L::planes == packed::CodePlanes::SixBit ? 5 : 2;  // offset 32 or 4

    // (a & mask) | b, per byte: a's bits under mask (high code bits, already
    // shifted there) over b (the low bits).
    CLAWBOT_INLINE static __m512i merge_bits(__m512i a, int mask, __m512i b) {
        return _mm512_ternarylogic_epi32(a, _mm512_set1_epi8(static_cast<char>(mask)), b, 0xEA);
    }

    CLAWBOT_INLINE static __m512i pairs_at(const uint8_t* p, int q) {
        return _mm512_cvtepi8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(p + q * 2 * kPackRows)));
    }

    // Sub-block s's scales as int32 lanes, from the pair register of s / 2.
    CLAWBOT_INLINE static __m512i scales_of(const uint8_t* meta, int s) {
        const __m512i pairs = pairs_at(meta, s / 2);
        return s % 2 ? _mm512_srai_epi32(pairs, 16) : _mm512_srai_epi32(_mm512_slli_epi32(pairs, 16), 16);
    }

    // The codes of registers m + 16t, t = 0..3 (m = 4u + i).
    CLAWBOT_INLINE static void codes_of(const uint8_t* planes, int m, __m512i (&codes)[4]) {
        const __m512i two_bits = _mm512_set1_epi8(0x03);
        if constexpr (L::planes == packed::CodePlanes::SixBit) {
            const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
            const uint8_t* low_plane = planes;
            const __m512i top = _mm512_load_si512(planes + L::low_bytes + m * packed::kChunkBytes);
            const __m512i first = _mm512_load_si512(low_plane + m * packed::kChunkBytes);
            const __m512i second = _mm512_load_si512(low_plane + (m + 16) * packed::kChunkBytes);
            codes[0] = merge_bits(_mm512_slli_epi16(top, 4), 0x30, _mm512_and_si512(first, low_nibbles));
            codes[1] = merge_bits(_mm512_slli_epi16(top, 2), 0x30, _mm512_and_si512(second, low_nibbles));
            codes[2] = merge_bits(top, 0x30, _mm512_and_si512(_mm512_srli_epi16(first, 4), low_nibbles));
            codes[3] = merge_bits(_mm512_srli_epi16(top, 2), 0x30,
                                  _mm512_and_si512(_mm512_srli_epi16(second, 4), low_nibbles));
        } else {
            const __m512i two = _mm512_load_si512(planes + m * packed::kChunkBytes);
            codes[0] = _mm512_and_si512(two, two_bits);
            codes[1] = _mm512_and_si512(_mm512_srli_epi16(two, 2), two_bits);
            codes[2] = _mm512_and_si512(_mm512_srli_epi16(two, 4), two_bits);
            codes[3] = _mm512_and_si512(_mm512_srli_epi16(two, 6), two_bits);
            if constexpr (L::planes == packed::CodePlanes::ThreeBit) {
                // Register m + 16t's third bit is bit m/8 + 2t of chunk m % 8;
                // shifted down by m/8, it sits at bit 2t. (The 16-bit shifts
                // pull bits from the next byte into bits 3-7 only.)
                const __m512i third = _mm512_srl_epi16(
                    _mm512_load_si512(planes + L::two_bit_bytes + (m % 8) * packed::kChunkBytes),
                    _mm_cvtsi32_si128(m / 8));
                codes[0] = merge_bits(_mm512_slli_epi16(third, 2), 0x04, codes[0]);
                codes[1] = merge_bits(third, 0x04, codes[1]);
                codes[2] = merge_bits(_mm512_srli_epi16(third, 2), 0x04, codes[2]);
                codes[3] = merge_bits(_mm512_srli_epi16(third, 4), 0x04, codes[3]);
            }
        }
    }

    CLAWBOT_INLINE static void prefetch_quarter(const uint8_t* planes, int u) {
        if constexpr (L::planes == packed::CodePlanes::SixBit) {
            prefetch_codes(planes + u * 4 * packed::kChunkBytes, 4 * packed::kChunkBytes);
            prefetch_codes(planes + (16 + u * 4) * packed::kChunkBytes, 4 * packed::kChunkBytes);
            prefetch_codes(planes + L::low_bytes + u * 4 * packed::kChunkBytes, 4 * packed::kChunkBytes);
        } else {
            prefetch_codes(planes + u * 4 * packed::kChunkBytes, 4 * packed::kChunkBytes);
            if constexpr (L::planes == packed::CodePlanes::ThreeBit) {
                prefetch_codes(planes + L::two_bit_bytes + u * 2 * packed::kChunkBytes, 2 * packed::kChunkBytes);
            }
        }
    }

    template <int C>
    static void tile(const uint8_t* group, int64_t cols, const uint8_t* act, size_t act_stride, float* out,
                     size_t out_stride, __mmask16 live) {
        const int64_t n_blocks = Layout::n_blocks(cols);
        const BlockQ8_K* a[C];
        __m512 acc[C];
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) {
            a[c] = reinterpret_cast<const BlockQ8_K*>(act + c * act_stride);
            acc[c] = _mm512_setzero_ps();
        }
        for (int64_t b = 0; b < n_blocks; ++b) {
            const uint8_t* planes = Layout::codes(group, b);
            const uint8_t* meta = Layout::meta(group, cols, b);
            __m512i scaled[C];
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) scaled[c] = _mm512_setzero_si512();
            // Quarter u covers sub-blocks u, u+4, u+8, u+12: registers
            // m + 16t for m in 4u..4u+3, t in 0..3.
            for (int u = 0; u < 4; ++u) {
                prefetch_quarter(planes, u);
                __m512i dot[C][4];
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) {
                    CLAWBOT_UNROLL
                    for (__m512i& d : dot[c]) d = _mm512_setzero_si512();
                }
                CLAWBOT_UNROLL
                for (int i = 0; i < 4; ++i) {
                    const int m = 4 * u + i;
                    __m512i codes[4];
                    codes_of(planes, m, codes);
                    CLAWBOT_UNROLL
                    for (int t = 0; t < 4; ++t) {
                        CLAWBOT_UNROLL
                        for (int c = 0; c < C; ++c) {
                            dot[c][t] = _mm512_dpbusd_epi32(dot[c][t], codes[t], broadcast_4_bytes(a[c]->qs + 4 * (m + 16 * t)));
                        }
                    }
                }
                CLAWBOT_UNROLL
                for (int t = 0; t < 4; ++t) {
                    const __m512i scale = scales_of(meta, u + 4 * t);
                    CLAWBOT_UNROLL
                    for (int c = 0; c < C; ++c) scaled[c] = _mm512_add_epi32(scaled[c], _mm512_mullo_epi32(dot[c][t], scale));
                }
            }
            const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(meta + Layout::d_offset)));
            // Offsets from the scales (Q6_K, Q3_K) or the mins (Q2_K).
            const uint8_t* offset_pairs = Layout::has_min ? meta + Layout::min_offset : meta;
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                __m512i offset = _mm512_setzero_si512();
                CLAWBOT_UNROLL
                for (int q = 0; q < 8; ++q) {
                    int32_t sums;
                    std::memcpy(&sums, a[c]->bsums + 2 * q, sizeof sums);
                    offset = _mm512_dpwssd_epi32(offset, pairs_at(offset_pairs, q), _mm512_set1_epi32(sums));
                }
                const __m512 da = _mm512_set1_ps(a[c]->d);
                if constexpr (Layout::has_min) {
                    const __m512 dmin =
                        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(meta + Layout::dmin_offset)));
                    acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(scaled[c]), _mm512_mul_ps(d, da), acc[c]);
                    acc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(offset), _mm512_mul_ps(dmin, da), acc[c]);
                } else {
                    const __m512i total = _mm512_sub_epi32(scaled[c], _mm512_slli_epi32(offset, kOffsetShift));
                    acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_mul_ps(d, da), acc[c]);
                }
                ++a[c];
            }
        }
        CLAWBOT_UNROLL
        for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * out_stride, live, acc[c]);
    }
};

using Q6_KKernel = SuperBlock16x16Kernel<packed::Q6_KLayout>;
using Q3_KKernel = SuperBlock16x16Kernel<packed::Q3_KLayout>;
using Q2_KKernel = SuperBlock16x16Kernel<packed::Q2_KLayout>;

// --- driver ------------------------------------------------------------------

using GroupTileFn = void (*)(const uint8_t*, int64_t, const uint8_t*, size_t, float*, size_t, __mmask16);

template <typename Kernel, int C = Kernel::kMaxCols>
GroupTileFn pick_group_tile(int cols) {
    if constexpr (C > 1) {
        if (cols < C) return pick_group_tile<Kernel, C - 1>(cols);
    }
    return &Kernel::template tile<C>;
}

template <typename Kernel>
void gemm_packed(const uint8_t* packed, int64_t cols, int64_t row_begin, int64_t row_end, const void* act,
                 size_t act_stride, int64_t n_cols, float* out, size_t out_stride) {
    using Layout = typename Kernel::Layout;
    constexpr int kMaxCols = Kernel::kMaxCols;
    const size_t group_stride = Layout::group_stride(cols);
    const auto* a = static_cast<const uint8_t*>(act);
    // Activation rows one pass over the weights works on: they are re-read
    // for every group, so they must stay in cache (see gemm_tiling.h).
    const int64_t fitting = static_cast<int64_t>(kActivationPassBytes / act_stride);
    const int64_t pass = fitting > kMaxCols ? fitting / kMaxCols * kMaxCols : kMaxCols;
    for (int64_t first = 0; first < n_cols; first += pass) {
        const int64_t last = n_cols - first < pass ? n_cols : first + pass;
        for (int64_t r = row_begin; r < row_end; r += kPackRows) {
            const uint8_t* group = packed + static_cast<size_t>(r / kPackRows) * group_stride;
            const int live_rows = row_end - r < kPackRows ? static_cast<int>(row_end - r) : kPackRows;
            const auto live = static_cast<__mmask16>((1u << live_rows) - 1);
            for (int64_t j = first; j < last; j += kMaxCols) {
                const int c = last - j < kMaxCols ? static_cast<int>(last - j) : kMaxCols;
                float* tile_out = out + static_cast<size_t>(j) * out_stride + static_cast<size_t>(r);
                const uint8_t* tile_act = a + static_cast<size_t>(j) * act_stride;
                if (c == kMaxCols) {
                    Kernel::template tile<kMaxCols>(group, cols, tile_act, act_stride, tile_out, out_stride, live);
                } else {
                    pick_group_tile<Kernel>(c)(group, cols, tile_act, act_stride, tile_out, out_stride, live);
                }
            }
        }
    }
}

}  // namespace

#define CLAWBOT_PACKED_BLOCK32(name, Codes)                                                                    \
    void gemm_packed_##name(const uint8_t* packed, int64_t /*rows*/, int64_t cols, int64_t row_begin,           \
                            int64_t row_end, const void* act, size_t act_stride, int64_t n_cols, float* out,    \
                            size_t out_stride) {                                                                \
        gemm_packed<Block32Kernel<Codes>>(packed, cols, row_begin, row_end, act, act_stride, n_cols, out,      \
                                           out_stride);                                                         \
    }

CLAWBOT_PACKED_BLOCK32(q4_0, Q4_0Codes)
CLAWBOT_PACKED_BLOCK32(q4_1, Q4_1Codes)
CLAWBOT_PACKED_BLOCK32(q5_0, Q5_0Codes)
CLAWBOT_PACKED_BLOCK32(q5_1, Q5_1Codes)
CLAWBOT_PACKED_BLOCK32(iq4_nl, IQ4_NLCodes)
#undef CLAWBOT_PACKED_BLOCK32

void gemm_packed_q8_0(const uint8_t* packed, int64_t /*rows*/, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride) {
    gemm_packed<Block32Kernel<Q8_0Codes>>(packed, cols, row_begin, row_end, act, act_stride, n_cols, out, out_stride);
}

#define CLAWBOT_PACKED_SUPER(name, Kernel)                                                                     \
    void gemm_packed_##name(const uint8_t* packed, int64_t /*rows*/, int64_t cols, int64_t row_begin,           \
                            int64_t row_end, const void* act, size_t act_stride, int64_t n_cols, float* out,    \
                            size_t out_stride) {                                                                \
        gemm_packed<Kernel>(packed, cols, row_begin, row_end, act, act_stride, n_cols, out, out_stride);        \
    }

CLAWBOT_PACKED_SUPER(q4_k, Q4_KKernel)
CLAWBOT_PACKED_SUPER(q5_k, Q5_KKernel)
CLAWBOT_PACKED_SUPER(iq4_xs, IQ4_XSKernel)
CLAWBOT_PACKED_SUPER(q6_k, Q6_KKernel)
CLAWBOT_PACKED_SUPER(q3_k, Q3_KKernel)
CLAWBOT_PACKED_SUPER(q2_k, Q2_KKernel)
#undef CLAWBOT_PACKED_SUPER



}  // namespace clawbot::kernels::avx512
