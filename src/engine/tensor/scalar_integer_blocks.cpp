// Scalar reference for the types decoded through block_decode.h (Q4_1,
// Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q5_K, IQ4_XS): dequantization and the dot
// products, from each block's integer form. Slow on purpose; the packed
// kernels are tested against these. Q5_K adds in the reference's float order.
#include "engine/tensor/block_decode.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/scalar_reference_order.h"

namespace clawbot::kernels::scalar {
namespace {

template <typename Block, Block32Ints (*kDecode)(const Block&)>
void dequantize_block32(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const Block*>(src);
    for (int64_t b = 0; b < n / 32; ++b) {
        const Block32Ints q = kDecode(blocks[b]);
        for (int i = 0; i < 32; ++i) dst[b * 32 + i] = q.d * static_cast<float>(q.code[i]) + q.m;
    }
}

template <typename Block, SuperBlockInts (*kDecode)(const Block&)>
void dequantize_super(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const Block*>(src);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const SuperBlockInts q = kDecode(blocks[b]);
        for (int e = 0; e < kSuperElems; ++e) {
            const int s = e / q.sub_elems;
            dst[b * kSuperElems + e] =
                q.d * static_cast<float>(q.scale[s]) * static_cast<float>(q.code[e]) - q.dmin * static_cast<float>(q.min[s]);
        }
    }
}

// d_w * d_a * <code, a> + m_w * d_a * sum(a), block by block, against Q8_0.
template <typename Block, Block32Ints (*kDecode)(const Block&)>
float dot_block32(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const Block*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < k / 32; ++b) {
        const Block32Ints q = kDecode(x[b]);
        int dot = 0, act_sum = 0;
        for (int i = 0; i < 32; ++i) {
            dot += q.code[i] * y[b].qs[i];
            act_sum += y[b].qs[i];
        }
        const float da = fp16_to_fp32(y[b].d);
        sum += q.d * da * static_cast<float>(dot) + q.m * da * static_cast<float>(act_sum);
    }
    return sum;
}

// d_a * (d * sum_s scale_s <code, a>_s - dmin * sum_s min_s sum_s(a)),
// against Q8_K, whose per-16 sums give the offset term.
template <typename Block, SuperBlockInts (*kDecode)(const Block&)>
float dot_super(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const Block*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < k / kSuperElems; ++b) {
        const SuperBlockInts q = kDecode(x[b]);
        int scaled = 0, offsets = 0;
        for (int s = 0; s < kSuperElems / q.sub_elems; ++s) {
            int dot = 0;
            for (int l = 0; l < q.sub_elems; ++l) {
                const int e = s * q.sub_elems + l;
                dot += q.code[e] * y[b].qs[e];
            }
            int act_sum = 0;
            for (int g = s * q.sub_elems / 16; g < (s + 1) * q.sub_elems / 16; ++g) act_sum += y[b].bsums[g];
            scaled += q.scale[s] * dot;
            offsets += q.min[s] * act_sum;
        }
        sum += y[b].d * q.d * static_cast<float>(scaled) - y[b].d * q.dmin * static_cast<float>(offsets);
    }
    return sum;
}

// Q5_K in the reference's float order (scalar_reference_order.h).
float dot_q5_k_reference_order(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ5_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    ReferenceOrderSum sum;
    for (int64_t b = 0; b < k / kSuperElems; ++b) {
        const SuperBlockInts q = decode_q5_k(x[b]);
        int lanes[8] = {};
        for (int e = 0; e < kSuperElems; ++e) lanes[reference_lane(e)] += q.scale[e / 32] * q.code[e] * y[b].qs[e];
        sum.add_lanes(y[b].d * q.d, lanes);
        int min_total = 0;
        for (int s = 0; s < 8; ++s) min_total += q.min[s] * (y[b].bsums[2 * s] + y[b].bsums[2 * s + 1]);
        sum.add_min(-y[b].d * q.dmin, min_total);
    }
    return sum.total();
}

}  // namespace

#define CLAWBOT_BLOCK32_TYPE(name, Block)                                                                         \
    void dequantize_##name(const void* src, float* dst, int64_t n) {                                            \
        dequantize_block32<Block, decode_##name>(src, dst, n);                                                   \
    }                                                                                                            \
    void gemm_##name(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                     int64_t n_cols, float* out, size_t out_stride) {                                           \
        gemm_by_rows(dot_block32<Block, decode_##name>, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride); \
    }

#define CLAWBOT_SUPER_TYPE(name, Block)                                                                           \
    void dequantize_##name(const void* src, float* dst, int64_t n) {                                            \
        dequantize_super<Block, decode_##name>(src, dst, n);                                                     \
    }                                                                                                            \
    void gemm_##name(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                     int64_t n_cols, float* out, size_t out_stride) {                                           \
        gemm_by_rows(dot_super<Block, decode_##name>, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride); \
    }

CLAWBOT_BLOCK32_TYPE(q4_1, BlockQ4_1)
CLAWBOT_BLOCK32_TYPE(q5_0, BlockQ5_0)
CLAWBOT_BLOCK32_TYPE(q5_1, BlockQ5_1)
CLAWBOT_BLOCK32_TYPE(iq4_nl, BlockIQ4_NL)
CLAWBOT_SUPER_TYPE(q2_k, BlockQ2_K)
CLAWBOT_SUPER_TYPE(q3_k, BlockQ3_K)
void dequantize_q5_k(const void* src, float* dst, int64_t n) { dequantize_super<BlockQ5_K, decode_q5_k>(src, dst, n); }
void gemm_q5_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, int64_t n_cols,
               float* out, size_t out_stride) {
    gemm_by_rows(dot_q5_k_reference_order, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}
CLAWBOT_SUPER_TYPE(iq4_xs, BlockIQ4_XS)

#undef CLAWBOT_BLOCK32_TYPE
#undef CLAWBOT_SUPER_TYPE

}  // namespace clawbot::kernels::scalar
