// Reference dot products: one (weight row, activation row) pair at a time,
// integer sums per block exactly as the formats define them. Slow on
// purpose; every SIMD kernel is tested against these.
#include "engine/tensor/block_fields.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/scalar_reference_order.h"
#include "engine/tensor/scalar_kernels.h"

namespace clawbot::kernels::scalar {

void gemm_by_rows(RowDot dot, int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                  int64_t n_cols, float* out, size_t out_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    for (int64_t j = 0; j < n_cols; ++j) {
        for (int64_t i = 0; i < n_rows; ++i) {
            out[static_cast<size_t>(j) * out_stride + static_cast<size_t>(i)] =
                dot(k, wb + static_cast<size_t>(i) * w_stride, ab + static_cast<size_t>(j) * a_stride);
        }
    }
}

namespace {

float dot_f32(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const float*>(w);
    const auto* y = static_cast<const float*>(a);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) sum += x[i] * y[i];
    return sum;
}

float dot_f16(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const uint16_t*>(w);
    const auto* y = static_cast<const float*>(a);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) sum += fp16_to_fp32(x[i]) * y[i];
    return sum;
}

float dot_bf16(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const uint16_t*>(w);
    const auto* y = static_cast<const float*>(a);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) sum += bf16_to_fp32(x[i]) * y[i];
    return sum;
}

float dot_q8_0(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ8_0*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < k / kQ8_0Elems; ++b) {
        int isum = 0;
        for (int i = 0; i < kQ8_0Elems; ++i) isum += x[b].qs[i] * y[b].qs[i];
        sum += static_cast<float>(isum) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
    }
    return sum;
}

float dot_q4_0(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ4_0*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < k / kQ4_0Elems; ++b) {
        int isum = 0;
        for (int i = 0; i < kQ4_0Elems / 2; ++i) {
            isum += ((x[b].qs[i] & 0x0f) - 8) * y[b].qs[i];
            isum += ((x[b].qs[i] >> 4) - 8) * y[b].qs[i + kQ4_0Elems / 2];
        }
        sum += static_cast<float>(isum) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
    }
    return sum;
}

// sum_s scale_s * d * <q_s, a_s> - min_s * dmin * <1, a_s>; the second term
// comes from the activation's per-16 sums, so it costs 8 multiplies.
float dot_q4_k(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ4_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < k / kSuperElems; ++b) {
        const Q4KScales s = unpack_q4_k_scales(x[b].scales);
        int scaled = 0, offsets = 0;
        for (int sub = 0; sub < 8; ++sub) {
            const uint8_t* q = x[b].qs + 32 * (sub / 2);
            const int8_t* act = y[b].qs + 32 * sub;
            int isum = 0;
            for (int l = 0; l < 32; ++l) isum += ((q[l] >> (4 * (sub % 2))) & 0x0f) * act[l];
            scaled += s.scale[sub] * isum;
            offsets += s.min[sub] * (y[b].bsums[2 * sub] + y[b].bsums[2 * sub + 1]);
        }
        sum += y[b].d * fp16_to_fp32(x[b].d) * static_cast<float>(scaled) -
               y[b].d * fp16_to_fp32(x[b].dmin) * static_cast<float>(offsets);
    }
    return sum;
}

// In the reference's float order (scalar_reference_order.h).
float dot_q6_k(int64_t k, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ6_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    ReferenceOrderSum sum;
    for (int64_t b = 0; b < k / kSuperElems; ++b) {
        int lanes[8] = {};
        for (int e = 0; e < kSuperElems; ++e) {
            lanes[reference_lane(e)] += x[b].scales[e / 16] * (q6_k_code(x[b], e) - 32) * y[b].qs[e];
        }
        sum.add_lanes(y[b].d * fp16_to_fp32(x[b].d), lanes);
    }
    return sum.total();
}

}  // namespace

void gemm_f32(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, int64_t n_cols,
              float* out, size_t out_stride) {
    gemm_by_rows(dot_f32, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_f16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, int64_t n_cols,
              float* out, size_t out_stride) {
    gemm_by_rows(dot_f16, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_bf16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    gemm_by_rows(dot_bf16, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q8_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    gemm_by_rows(dot_q8_0, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q4_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    gemm_by_rows(dot_q4_0, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q4_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    gemm_by_rows(dot_q4_k, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_q6_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    gemm_by_rows(dot_q6_k, k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::scalar
