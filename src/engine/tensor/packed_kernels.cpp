// Packing of weights into the interleaved layouts of packed_layout.h, and
// the choice of packed kernels for this CPU.
#include "engine/tensor/packed_kernels.h"

#include <cstring>

#include "engine/tensor/block_decode.h"
#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_layout.h"

namespace clawbot::kernels {

namespace avx512 {
void gemm_packed_q4_0(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q8_0(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q4_k(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q6_k(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q4_1(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q5_0(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q5_1(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_iq4_nl(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q5_k(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_iq4_xs(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q3_k(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
void gemm_packed_q2_k(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin, int64_t row_end,
                      const void* act, size_t act_stride, int64_t n_cols, float* out, size_t out_stride);
}  // namespace avx512

namespace {

// The 4 bytes one row's block contributes to code chunk `chunk`.
using ChunkBytes = void (*)(const uint8_t* block, int chunk, uint8_t out[4]);

// Chunks 0-3 of the 4- and 5-bit blocks: 4 bytes of nibbles each.
template <typename Block>
void nibble_chunk(const uint8_t* block, int chunk, uint8_t out[4]) {
    std::memcpy(out, reinterpret_cast<const Block*>(block)->qs + 4 * chunk, 4);
}

// 5-bit blocks add chunk 4: bit j of byte i is the fifth bit of element i of
// code register j (register 2c holds elements 4c.., register 2c+1 16+4c..).
template <typename Block>
void five_bit_chunk(const uint8_t* block, int chunk, uint8_t out[4]) {
    const auto& b = *reinterpret_cast<const Block*>(block);
    if (chunk < 4) {
        std::memcpy(out, b.qs + 4 * chunk, 4);
        return;
    }
    uint32_t fifth;
    std::memcpy(&fifth, b.qh, 4);
    for (int i = 0; i < 4; ++i) {
        uint8_t byte = 0;
        for (int j = 0; j < 8; ++j) {
            const int element = (j % 2 ? 16 : 0) + 4 * (j / 2) + i;
            byte = static_cast<uint8_t>(byte | (((fifth >> element) & 1) << j));
        }
        out[i] = byte;
    }
}

void q8_0_chunk(const uint8_t* block, int chunk, uint8_t out[4]) {
    const int8_t* qs = reinterpret_cast<const BlockQ8_0*>(block)->qs + 4 * chunk;
    for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(qs[i] + 128);
}

template <typename Layout, typename Block, ChunkBytes kChunk>
void pack_rows(const uint8_t* src, size_t src_stride, int64_t rows, int64_t cols, uint8_t* dst) {
    // Every byte of dst is written once (padding rows and the tail of each
    // group as zeros): packing is one pass over the weights.
    const int64_t n_blocks = Layout::n_blocks(cols);
    const size_t stride = Layout::group_stride(cols);
    const size_t used = static_cast<size_t>(n_blocks) * (Layout::code_bytes + Layout::meta_bytes);
    constexpr int kChunks = static_cast<int>(Layout::code_bytes / packed::kChunkBytes);
    for (int64_t g = 0; g < Layout::n_groups(rows); ++g) {
        uint8_t* group = dst + static_cast<size_t>(g) * stride;
        const int live = static_cast<int>(rows - g * kPackRows < kPackRows ? rows - g * kPackRows : kPackRows);
        for (int64_t b = 0; b < n_blocks; ++b) {
            auto* codes = const_cast<uint8_t*>(Layout::codes(group, b));
            auto* scales = const_cast<uint8_t*>(Layout::scales(group, cols, b));
            if (Layout::has_min) std::memset(scales, 0, Layout::meta_bytes);  // rows past the last stay zero
            for (int r = 0; r < kPackRows; ++r) {
                if (r >= live) {
                    std::memset(scales + 2 * r, 0, 2);
                    for (int c = 0; c < kChunks; ++c) std::memset(codes + c * packed::kChunkBytes + 4 * r, 0, 4);
                    continue;
                }
                const uint8_t* block = src + static_cast<size_t>(g * kPackRows + r) * src_stride + b * sizeof(Block);
                std::memcpy(scales + 2 * r, block, sizeof(uint16_t));  // every block type starts with fp16 d
                if constexpr (Layout::has_min) {
                    // ... and the ones with an offset follow it with fp16 m
                    std::memcpy(const_cast<uint8_t*>(Layout::mins(group, cols, b)) + 2 * r, block + 2, 2);
                }
                for (int c = 0; c < kChunks; ++c) kChunk(block, c, codes + c * packed::kChunkBytes + 4 * r);
            }
        }
        std::memset(group + used, 0, stride - used);
    }
}

// One row's super-block in the form of SuperBlock8x32Layout: 32 chunks of
// 4 nibble bytes, 8 chunks of 4 fifth-bit bytes (Q5_K), and its unpacked
// scales, mins, d and dmin.
struct SuperRow {
    uint8_t nibbles[32][4];
    uint8_t fifth[8][4];
    int8_t scale[8];  // as stored: uint8 bits for Q4_K / Q5_K, int8 for IQ4_XS
    int8_t min[8];
    uint16_t d, dmin;
};

void q4_k_nibbles(const uint8_t qs[128], SuperRow& row) {
    for (int chunk = 0; chunk < 32; ++chunk) std::memcpy(row.nibbles[chunk], qs + 32 * (chunk / 8) + 4 * (chunk % 8), 4);
}

void q4_k_scales(const uint8_t packed[12], SuperRow& row) {
    const Q4KScales s = unpack_q4_k_scales(packed);
    for (int j = 0; j < 8; ++j) {
        row.scale[j] = static_cast<int8_t>(s.scale[j]);
        row.min[j] = static_cast<int8_t>(s.min[j]);
    }
}

void q4_k_row(const uint8_t* block, SuperRow& row) {
    const auto& b = *reinterpret_cast<const BlockQ4_K*>(block);
    q4_k_nibbles(b.qs, row);
    q4_k_scales(b.scales, row);
    row.d = b.d;
    row.dmin = b.dmin;
}

void q5_k_row(const uint8_t* block, SuperRow& row) {
    const auto& b = *reinterpret_cast<const BlockQ5_K*>(block);
    q4_k_nibbles(b.qs, row);
    for (int c = 0; c < 8; ++c) std::memcpy(row.fifth[c], b.qh + 4 * c, 4);  // bit s of qh[l]: element 32s + l
    q4_k_scales(b.scales, row);
    row.d = b.d;
    row.dmin = b.dmin;
}

void iq4_xs_row(const uint8_t* block, SuperRow& row) {
    const auto& b = *reinterpret_cast<const BlockIQ4_XS*>(block);
    // IQ4_XS keeps sub-block s in qs[16s..16s+15] (elements l and l + 16 of
    // byte l); the layout wants Q4_K's order.
    auto nibble = [&](int e) {
        const int s = e / 32, l = e % 32;
        const uint8_t byte = b.qs[16 * s + l % 16];
        return l < 16 ? byte & 0x0f : byte >> 4;
    };
    for (int chunk = 0; chunk < 32; ++chunk) {
        const int p = chunk / 8, c = chunk % 8;
        for (int i = 0; i < 4; ++i) {
            const int e = 64 * p + 4 * c + i;
            row.nibbles[chunk][i] = static_cast<uint8_t>(nibble(e) | (nibble(e + 32) << 4));
        }
    }
    for (int s = 0; s < 8; ++s) row.scale[s] = row.min[s] = static_cast<int8_t>(iq4_xs_scale(b, s));
    row.d = row.dmin = b.d;
}

template <typename Layout, typename Block, void (*kRow)(const uint8_t*, SuperRow&)>
void pack_super_8x32(const uint8_t* src, size_t src_stride, int64_t rows, int64_t cols, uint8_t* dst) {
    const int64_t n_blocks = Layout::n_blocks(cols);
    for (int64_t g = 0; g < Layout::n_groups(rows); ++g) {
        uint8_t* group = dst + static_cast<size_t>(g) * Layout::group_stride(cols);
        const int live = static_cast<int>(rows - g * kPackRows < kPackRows ? rows - g * kPackRows : kPackRows);
        for (int64_t b = 0; b < n_blocks; ++b) {
            auto* codes = const_cast<uint8_t*>(Layout::codes(group, b));
            auto* meta = const_cast<uint8_t*>(Layout::meta(group, cols, b));
            std::memset(codes, 0, Layout::code_bytes);  // rows past the last stay zero
            std::memset(meta, 0, Layout::meta_bytes);
            for (int r = 0; r < live; ++r) {
                SuperRow row;
                kRow(src + static_cast<size_t>(g * kPackRows + r) * src_stride + b * sizeof(Block), row);
                for (int chunk = 0; chunk < 32; ++chunk) {
                    std::memcpy(codes + chunk * packed::kChunkBytes + 4 * r, row.nibbles[chunk], 4);
                }
                for (int c = 0; c < static_cast<int>(Layout::fifth_bytes / packed::kChunkBytes); ++c) {
                    std::memcpy(codes + Layout::nibble_bytes + c * packed::kChunkBytes + 4 * r, row.fifth[c], 4);
                }
                for (int j = 0; j < 8; ++j) {
                    meta[j * kPackRows + r] = static_cast<uint8_t>(row.scale[j]);
                    meta[Layout::min_offset + (j / 2) * 2 * kPackRows + 2 * r + j % 2] = static_cast<uint8_t>(row.min[j]);
                }
                std::memcpy(meta + Layout::d_offset + 2 * r, &row.d, 2);
                std::memcpy(meta + Layout::dmin_offset + 2 * r, &row.dmin, 2);
            }
        }
    }
}

// One row's super-block in the form of SuperBlock16x16Layout: unsigned
// codes, and scales, mins, d and dmin as the layout stores them.
struct SixteenRow {
    uint8_t code[256];
    int8_t scale[16];
    int8_t min[16];
    uint16_t d, dmin;
};

void q6_k_row(const uint8_t* block, SixteenRow& row) {
    const auto& b = *reinterpret_cast<const BlockQ6_K*>(block);
    for (int e = 0; e < kSuperElems; ++e) row.code[e] = static_cast<uint8_t>(q6_k_code(b, e));
    for (int s = 0; s < 16; ++s) row.scale[s] = b.scales[s];
    row.d = b.d;
    row.dmin = 0;
}

void q3_k_row(const uint8_t* block, SixteenRow& row) {
    const auto& b = *reinterpret_cast<const BlockQ3_K*>(block);
    const SuperBlockInts q = decode_q3_k(b);
    for (int e = 0; e < kSuperElems; ++e) row.code[e] = static_cast<uint8_t>(q.code[e] + 4);
    for (int s = 0; s < 16; ++s) row.scale[s] = static_cast<int8_t>(q.scale[s]);
    row.d = b.d;
    row.dmin = 0;
}

void q2_k_row(const uint8_t* block, SixteenRow& row) {
    const auto& b = *reinterpret_cast<const BlockQ2_K*>(block);
    const SuperBlockInts q = decode_q2_k(b);
    for (int e = 0; e < kSuperElems; ++e) row.code[e] = static_cast<uint8_t>(q.code[e]);
    for (int s = 0; s < 16; ++s) {
        row.scale[s] = static_cast<int8_t>(q.scale[s]);
        row.min[s] = static_cast<int8_t>(q.min[s]);
    }
    row.d = b.d;
    row.dmin = b.dmin;
}

template <typename Layout, typename Block, void (*kRow)(const uint8_t*, SixteenRow&)>
void pack_super_16x16(const uint8_t* src, size_t src_stride, int64_t rows, int64_t cols, uint8_t* dst) {
    using packed::CodePlanes;
    const int64_t n_blocks = Layout::n_blocks(cols);
    const size_t stride = Layout::group_stride(cols);
    const size_t used = static_cast<size_t>(n_blocks) * (Layout::code_bytes + Layout::meta_bytes);
    for (int64_t g = 0; g < Layout::n_groups(rows); ++g) {
        uint8_t* group = dst + static_cast<size_t>(g) * stride;
        const int live = static_cast<int>(rows - g * kPackRows < kPackRows ? rows - g * kPackRows : kPackRows);
        for (int64_t b = 0; b < n_blocks; ++b) {
            auto* planes = const_cast<uint8_t*>(Layout::codes(group, b));
            auto* meta = const_cast<uint8_t*>(Layout::meta(group, cols, b));
            std::memset(planes, 0, Layout::code_bytes);  // rows past the last stay zero
            std::memset(meta, 0, Layout::meta_bytes);
            for (int r = 0; r < live; ++r) {
                SixteenRow row{};
                kRow(src + static_cast<size_t>(g * kPackRows + r) * src_stride + b * sizeof(Block), row);
                for (int e = 0; e < kSuperElems; ++e) {
                    const int code = row.code[e];
                    const int reg = e / 4, byte = 4 * r + e % 4;
                    auto put = [&](size_t plane, int chunk, int bits) {
                        planes[plane + static_cast<size_t>(chunk) * packed::kChunkBytes + byte] |= static_cast<uint8_t>(bits);
                    };
                    if constexpr (Layout::planes == CodePlanes::SixBit) {
                        put(0, reg % 32, (code & 0x0F) << (reg < 32 ? 0 : 4));
                        put(Layout::low_bytes, reg % 16, (code >> 4) << (2 * (reg / 16)));
                    } else {
                        put(0, reg % 16, (code & 3) << (2 * (reg / 16)));
                        if constexpr (Layout::planes == CodePlanes::ThreeBit) {
                            put(Layout::two_bit_bytes, reg % 8, (code >> 2) << (reg / 8));
                        }
                    }
                }
                for (int s = 0; s < 16; ++s) {
                    const size_t at = static_cast<size_t>((s / 2) * 2 * kPackRows + 2 * r + s % 2);
                    meta[at] = static_cast<uint8_t>(row.scale[s]);
                    if constexpr (Layout::has_min) meta[Layout::min_offset + at] = static_cast<uint8_t>(row.min[s]);
                }
                std::memcpy(meta + Layout::d_offset + 2 * r, &row.d, 2);
                if constexpr (Layout::has_min) std::memcpy(meta + Layout::dmin_offset + 2 * r, &row.dmin, 2);
            }
        }
        std::memset(group + used, 0, stride - used);
    }
}

const PackedKernels kAvx512Q4_0{DType::Q4_0, PackedActivation::Q8_0Sum, &packed::Q4_0Layout::packed_bytes,
                                &pack_rows<packed::Q4_0Layout, BlockQ4_0, nibble_chunk<BlockQ4_0>>,
                                &avx512::gemm_packed_q4_0};
const PackedKernels kAvx512Q4_1{DType::Q4_1, PackedActivation::Q8_0Sum, &packed::Q4_1Layout::packed_bytes,
                                &pack_rows<packed::Q4_1Layout, BlockQ4_1, nibble_chunk<BlockQ4_1>>,
                                &avx512::gemm_packed_q4_1};
const PackedKernels kAvx512Q5_0{DType::Q5_0, PackedActivation::Q8_0Sum, &packed::Q5_0Layout::packed_bytes,
                                &pack_rows<packed::Q5_0Layout, BlockQ5_0, five_bit_chunk<BlockQ5_0>>,
                                &avx512::gemm_packed_q5_0};
const PackedKernels kAvx512Q5_1{DType::Q5_1, PackedActivation::Q8_0Sum, &packed::Q5_1Layout::packed_bytes,
                                &pack_rows<packed::Q5_1Layout, BlockQ5_1, five_bit_chunk<BlockQ5_1>>,
                                &avx512::gemm_packed_q5_1};
const PackedKernels kAvx512IQ4_NL{DType::IQ4_NL, PackedActivation::Q8_0Sum, &packed::IQ4_NLLayout::packed_bytes,
                                  &pack_rows<packed::IQ4_NLLayout, BlockIQ4_NL, nibble_chunk<BlockIQ4_NL>>,
                                  &avx512::gemm_packed_iq4_nl};
const PackedKernels kAvx512Q8_0{DType::Q8_0, PackedActivation::Q8_0Sum, &packed::Q8_0Layout::packed_bytes,
                                &pack_rows<packed::Q8_0Layout, BlockQ8_0, q8_0_chunk>, &avx512::gemm_packed_q8_0};
const PackedKernels kAvx512Q4_K{DType::Q4_K, PackedActivation::Q8_K, &packed::Q4_KLayout::packed_bytes,
                                &pack_super_8x32<packed::Q4_KLayout, BlockQ4_K, q4_k_row>, &avx512::gemm_packed_q4_k};
const PackedKernels kAvx512Q5_K{DType::Q5_K, PackedActivation::Q8_K, &packed::Q5_KLayout::packed_bytes,
                                &pack_super_8x32<packed::Q5_KLayout, BlockQ5_K, q5_k_row>, &avx512::gemm_packed_q5_k};
const PackedKernels kAvx512IQ4_XS{DType::IQ4_XS, PackedActivation::Q8_K, &packed::IQ4_XSLayout::packed_bytes,
                                  &pack_super_8x32<packed::IQ4_XSLayout, BlockIQ4_XS, iq4_xs_row>,
                                  &avx512::gemm_packed_iq4_xs};
const PackedKernels kAvx512Q6_K{DType::Q6_K, PackedActivation::Q8_K, &packed::Q6_KLayout::packed_bytes,
                                &pack_super_16x16<packed::Q6_KLayout, BlockQ6_K, q6_k_row>, &avx512::gemm_packed_q6_k};
const PackedKernels kAvx512Q3_K{DType::Q3_K, PackedActivation::Q8_K, &packed::Q3_KLayout::packed_bytes,
                                &pack_super_16x16<packed::Q3_KLayout, BlockQ3_K, q3_k_row>, &avx512::gemm_packed_q3_k};
const PackedKernels kAvx512Q2_K{DType::Q2_K, PackedActivation::Q8_K, &packed::Q2_KLayout::packed_bytes,
                                &pack_super_16x16<packed::Q2_KLayout, BlockQ2_K, q2_k_row>, &avx512::gemm_packed_q2_k};

}  // namespace

const PackedKernels* packed_kernels(DType weight) {
    if (detected_isa() != Isa::Avx512) return nullptr;
    switch (weight) {
        case DType::Q4_0: return &kAvx512Q4_0;
        case DType::Q4_1: return &kAvx512Q4_1;
        case DType::Q5_0: return &kAvx512Q5_0;
        case DType::Q5_1: return &kAvx512Q5_1;
        case DType::IQ4_NL: return &kAvx512IQ4_NL;
        case DType::Q8_0: return &kAvx512Q8_0;
        case DType::Q4_K: return &kAvx512Q4_K;
        case DType::Q5_K: return &kAvx512Q5_K;
        case DType::IQ4_XS: return &kAvx512IQ4_XS;
        case DType::Q6_K: return &kAvx512Q6_K;
        case DType::Q3_K: return &kAvx512Q3_K;
        case DType::Q2_K: return &kAvx512Q2_K;
        default: return nullptr;
    }
}

void q8_0_to_q8_0_sum(const void* q8_0, void* dst, int64_t n) {
    const auto* in = static_cast<const BlockQ8_0*>(q8_0);
    auto* out = static_cast<BlockQ8_0Sum*>(dst);
    for (int64_t b = 0; b < n / kQ8_0Elems; ++b) {
        out[b].d = fp16_to_fp32(in[b].d);
        int32_t sum = 0;
        for (int i = 0; i < kQ8_0Elems; ++i) sum += in[b].qs[i];
        out[b].sum = sum;
        std::memcpy(out[b].qs, in[b].qs, kQ8_0Elems);
    }
}

}  // namespace clawbot::kernels
