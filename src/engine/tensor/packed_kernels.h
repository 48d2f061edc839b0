#pragma once
// Weights repacked at load into the layout the AVX-512 VNNI kernels want.
//
// A GGUF file stores each weight row's blocks one after another, which suits
// a dot product per row but not VNNI: there, one instruction multiplies 4
// bytes in each of 16 int32 lanes, so the natural unit is 16 rows side by
// side. A packed matrix groups rows by 16 and interleaves them 4 bytes at a
// time; one 64-byte load then feeds 16 rows, and the 4 activation bytes it
// pairs with are one broadcast, shared by all lanes. Each lane ends up with
// one row's dot product: no horizontal sums, no shuffles, and the block
// scales of the 16 rows sit together as one vector.
//
// Packing is a one-time copy made at load; the file's mapping is not
// written. Layouts are private to packed_kernels.cpp and the kernel files.
#include <cstddef>
#include <cstdint>

#include "engine/tensor/dtype.h"

namespace clawbot::kernels {

constexpr int kPackRows = 16;  // rows per interleaved group: one per int32 lane

// Activation block for packed Q4_0 / Q8_0 weights: a Q8_0 activation block
// (same codes, same fp16-rounded scale, so results match the unpacked path)
// with its scale widened to float and the sum of its codes precomputed. The
// packed weights are stored unsigned (code + offset) for VNNI's unsigned x
// signed multiply; the kernel takes offset * sum back out per block.
struct BlockQ8_0Sum {
    float d;
    int32_t sum;
    int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0Sum) == 40);

enum class PackedActivation { Q8_0Sum, Q8_K };

// out[j * out_stride + i] = dot(weight row i, activation row j) for i in
// [row_begin, row_end) and j < n_cols. row_begin is a multiple of kPackRows;
// row_end is one too, or the matrix's last row.
using PackedGemmFn = void (*)(const uint8_t* packed, int64_t rows, int64_t cols, int64_t row_begin,
                              int64_t row_end, const void* act, size_t act_stride, int64_t n_cols, float* out,
                              size_t out_stride);

struct PackedKernels {
    DType weight;
    PackedActivation activation;
    size_t (*packed_bytes)(int64_t rows, int64_t cols);
    // Packs `rows` rows of `cols` elements (row r at src + r * src_stride,
    // in the GGUF layout of `weight`) into dst, packed_bytes(rows, cols)
    // bytes aligned to 64.
    void (*pack)(const uint8_t* src, size_t src_stride, int64_t rows, int64_t cols, uint8_t* dst);
    PackedGemmFn gemm;
};

// Packed kernels for `weight` on this CPU, or nullptr when there are none
// (no AVX-512 VNNI, CLAWBOT_ISA caps below it, or a type without a packed
// layout): the caller then runs the unpacked kernels on the mapped file.
const PackedKernels* packed_kernels(DType weight);

// Q8_0 activation blocks (n elements) -> BlockQ8_0Sum blocks.
void q8_0_to_q8_0_sum(const void* q8_0, void* dst, int64_t n);

}  // namespace clawbot::kernels
