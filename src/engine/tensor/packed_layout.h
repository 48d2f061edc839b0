#pragma once
// Byte layouts of packed matrices, shared by the packer (packed_kernels.cpp)
// and the kernels (gemm_packed_avx512.cpp).
//
// Blocks of 32 (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, IQ4_NL): rows are grouped by
// kPackRows (16); groups follow one another, each group_stride bytes (a
// multiple of 64, so every group starts on a cache line). Inside a group:
//   codes   n_blocks x code_bytes. A block's codes are 64-byte chunks; chunk
//           c holds 4 bytes of each of the 16 rows, row r at bytes 4r..4r+3.
//           4-bit types: 4 chunks, chunk c = qs[4c..4c+3] of each row, so
//             the low nibbles are elements 4c..4c+3 and the high ones
//             16+4c..16+4c+3 (code registers 2c and 2c+1).
//           5-bit types: the same 4 chunks, then one chunk of fifth bits:
//             bit j of row r's byte 4r+i is the fifth bit of element i of
//             code register j.
//           IQ4_NL: 4 chunks of nibbles, looked up as kIq4Levels + 128.
//           Q8_0: 8 chunks, chunk c = elements 4c..4c+3, stored as q + 128.
//   meta    n_blocks x (16 fp16 scales d [+ 16 fp16 offsets m]): the block
//           scales (and, for Q4_1 / Q5_1, offsets) of the group's rows.
// value = d * (code - offset) [+ m]. Codes and meta are separate streams so
// that the code chunks stay 64-byte aligned. Rows past the matrix's last row
// are zero.
#include <cstddef>
#include <cstdint>

#include "engine/tensor/packed_kernels.h"

namespace clawbot::kernels::packed {

constexpr size_t kChunkBytes = 64;
constexpr size_t kScaleBytes = kPackRows * sizeof(uint16_t);

template <size_t kCodeBytes, int kOffset, bool kHasMin = false>
struct Block32Layout {
    static constexpr size_t code_bytes = kCodeBytes;  // per block of 32 elements, 16 rows
    static constexpr int offset = kOffset;            // stored code = level + offset
    static constexpr bool has_min = kHasMin;
    static constexpr size_t meta_bytes = kHasMin ? 2 * kScaleBytes : kScaleBytes;

    static int64_t n_blocks(int64_t cols) { return cols / 32; }
    static size_t group_stride(int64_t cols) {
        const size_t bytes = static_cast<size_t>(n_blocks(cols)) * (code_bytes + meta_bytes);
        return (bytes + 63) / 64 * 64;
    }
    static int64_t n_groups(int64_t rows) { return (rows + kPackRows - 1) / kPackRows; }
    static size_t packed_bytes(int64_t rows, int64_t cols) {
        return static_cast<size_t>(n_groups(rows)) * group_stride(cols);
    }
    static const uint8_t* codes(const uint8_t* group, int64_t block) {
        return group + static_cast<size_t>(block) * code_bytes;
    }
    static const uint8_t* scales(const uint8_t* group, int64_t cols, int64_t block) {
        return group + static_cast<size_t>(n_blocks(cols)) * code_bytes + static_cast<size_t>(block) * meta_bytes;
    }
    static const uint8_t* mins(const uint8_t* group, int64_t cols, int64_t block) {
        return scales(group, cols, block) + kScaleBytes;
    }
};

using Q4_0Layout = Block32Layout<256, 8>;
using Q8_0Layout = Block32Layout<512, 128>;
using Q4_1Layout = Block32Layout<256, 0, true>;
using Q5_0Layout = Block32Layout<320, 16>;
using Q5_1Layout = Block32Layout<320, 0, true>;
using IQ4_NLLayout = Block32Layout<256, 128>;

// Packed 8 x 32 super-blocks (Q4_K, Q5_K, IQ4_XS): per group, super-block
// after super-block (256 elements):
//   codes  2048 bytes: 32 chunks; chunk 8p + c holds, for each row (row r at
//          4r), 4 bytes whose low nibbles are elements 64p+4c.. (sub-block
//          2p) and whose high ones are 64p+32+4c.. (2p+1): Q4_K's and Q5_K's
//          qs[32p+4c .. 32p+4c+3]; IQ4_XS's nibbles rearranged to match.
//          Q5_K adds 512 bytes, 8 chunks of fifth bits: bit s of chunk c's
//          byte 4r+i is the fifth bit of element 32s+4c+i (qh[4c+i]).
// and, as a separate stream after all codes of the group, per super-block
// 320 bytes of unpacked scales:
//   scale  [8 sub-blocks][16 rows] uint8 (IQ4_XS: int8, its scale - 32)
//   min    [4 pairs][16 rows][2] uint8: row r's mins of sub-blocks 2q, 2q+1
//          side by side, so one widening load gives 16 int16 pairs
//          (IQ4_XS: its scales again, as int8; see the kernel)
//   d      [16] fp16, dmin [16] fp16 (IQ4_XS: d twice)
template <size_t kCodeBytes>
struct SuperBlock8x32Layout {
    static constexpr size_t code_bytes = kCodeBytes;
    static constexpr size_t nibble_bytes = 2048, fifth_bytes = kCodeBytes - 2048;
    static constexpr size_t meta_bytes = 320;
    static constexpr size_t min_offset = 128, d_offset = 256, dmin_offset = 288;

    static int64_t n_blocks(int64_t cols) { return cols / 256; }
    static size_t group_stride(int64_t cols) {
        return static_cast<size_t>(n_blocks(cols)) * (code_bytes + meta_bytes);  // a multiple of 64
    }
    static int64_t n_groups(int64_t rows) { return (rows + kPackRows - 1) / kPackRows; }
    static size_t packed_bytes(int64_t rows, int64_t cols) {
        return static_cast<size_t>(n_groups(rows)) * group_stride(cols);
    }
    static const uint8_t* codes(const uint8_t* group, int64_t block) {
        return group + static_cast<size_t>(block) * code_bytes;
    }
    static const uint8_t* meta(const uint8_t* group, int64_t cols, int64_t block) {
        return group + static_cast<size_t>(n_blocks(cols)) * code_bytes + static_cast<size_t>(block) * meta_bytes;
    }
};

using Q4_KLayout = SuperBlock8x32Layout<2048>;
using Q5_KLayout = SuperBlock8x32Layout<2560>;
using IQ4_XSLayout = SuperBlock8x32Layout<2048>;

// Packed 16 x 16 super-blocks (Q6_K, Q3_K, Q2_K): per group, per super-block
// (256 elements, 16 sub-blocks of 16), with code register R (0..63) meaning
// elements 4R..4R+3 of each row (sub-block R / 4), row r at bytes 4r..4r+3
// of every chunk. The code planes:
//   Q6_K  low   2048 bytes: 32 chunks; chunk k holds the low 4 bits of the
//               codes of register k in its low nibbles and of register
//               k + 32 in its high ones
//         high  1024 bytes: 16 chunks; chunk m holds the top 2 bits of the
//               codes of registers m, m+16, m+32, m+48 at bits 0-1, 2-3,
//               4-5, 6-7
//   Q3_K  two   1024 bytes: the low 2 bits of the codes, placed as Q6_K's
//               high plane
//         one    512 bytes: 8 chunks; bit j of chunk c is the third bit of
//               register c + 8j
//   Q2_K  two   1024 bytes, as Q3_K's
// and, as a separate stream after all codes of the group, per super-block:
//   scale  [8 pairs][16 rows][2] int8: row r's scales of sub-blocks 2q and
//          2q+1 side by side (one widening load gives 16 int16 pairs)
//   min    (Q2_K) the same for the mins
//   d      [16] fp16, dmin (Q2_K) [16] fp16
// Codes are unsigned: value = d * scale * (code - offset) with offset 32
// (Q6_K) or 4 (Q3_K); Q2_K's value = d * scale * code - dmin * min.
enum class CodePlanes { SixBit, ThreeBit, TwoBit };

template <CodePlanes kPlanes>
struct SuperBlock16x16Layout {
    static constexpr CodePlanes planes = kPlanes;
    static constexpr bool has_min = kPlanes == CodePlanes::TwoBit;
    static constexpr size_t code_bytes =
        kPlanes == CodePlanes::SixBit ? 3072 : (kPlanes == CodePlanes::ThreeBit ? 1536 : 1024);
    static constexpr size_t low_bytes = 2048;  // Q6_K's nibble plane
    static constexpr size_t two_bit_bytes = 1024;
    static constexpr size_t pair_bytes = 256;
    static constexpr size_t min_offset = pair_bytes;
    static constexpr size_t d_offset = has_min ? 2 * pair_bytes : pair_bytes;
    static constexpr size_t dmin_offset = d_offset + 32;
    static constexpr size_t meta_bytes = has_min ? dmin_offset + 32 : d_offset + 32;

    static int64_t n_blocks(int64_t cols) { return cols / 256; }
    static size_t group_stride(int64_t cols) {
        const size_t bytes = static_cast<size_t>(n_blocks(cols)) * (code_bytes + meta_bytes);
        return (bytes + 63) / 64 * 64;
    }
    static int64_t n_groups(int64_t rows) { return (rows + kPackRows - 1) / kPackRows; }
    static size_t packed_bytes(int64_t rows, int64_t cols) {
        return static_cast<size_t>(n_groups(rows)) * group_stride(cols);
    }
    static const uint8_t* codes(const uint8_t* group, int64_t block) {
        return group + static_cast<size_t>(block) * code_bytes;
    }
    static const uint8_t* meta(const uint8_t* group, int64_t cols, int64_t block) {
        return group + static_cast<size_t>(n_blocks(cols)) * code_bytes + static_cast<size_t>(block) * meta_bytes;
    }
};

using Q6_KLayout = SuperBlock16x16Layout<CodePlanes::SixBit>;
using Q3_KLayout = SuperBlock16x16Layout<CodePlanes::ThreeBit>;
using Q2_KLayout = SuperBlock16x16Layout<CodePlanes::TwoBit>;

}  // namespace clawbot::kernels::packed
