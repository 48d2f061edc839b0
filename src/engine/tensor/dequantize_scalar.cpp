// Weight blocks -> float, following the ggml definitions of each format.
#include <cstring>

#include "engine/tensor/block_fields.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/scalar_kernels.h"

namespace clawbot::kernels::scalar {

void dequantize_f32(const void* src, float* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
}

void dequantize_bf16(const void* src, float* dst, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
}

void dequantize_q8_0(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_0*>(src);
    for (int64_t b = 0; b < n / kQ8_0Elems; ++b) {
        const float d = fp16_to_fp32(blocks[b].d);
        for (int i = 0; i < kQ8_0Elems; ++i) dst[b * kQ8_0Elems + i] = d * blocks[b].qs[i];
    }
}

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const BlockQ4_0*>(src);
    for (int64_t b = 0; b < n / kQ4_0Elems; ++b) {
        const float d = fp16_to_fp32(blocks[b].d);
        float* y = dst + b * kQ4_0Elems;
        for (int i = 0; i < kQ4_0Elems / 2; ++i) {
            y[i] = d * ((blocks[b].qs[i] & 0x0f) - 8);
            y[i + kQ4_0Elems / 2] = d * ((blocks[b].qs[i] >> 4) - 8);
        }
    }
}

void dequantize_q4_k(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const BlockQ4_K*>(src);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const BlockQ4_K& blk = blocks[b];
        const Q4KScales s = unpack_q4_k_scales(blk.scales);
        const float d = fp16_to_fp32(blk.d), dmin = fp16_to_fp32(blk.dmin);
        float* y = dst + b * kSuperElems;
        for (int sub = 0; sub < 8; ++sub) {
            const float scale = d * s.scale[sub], offset = dmin * s.min[sub];
            const uint8_t* q = blk.qs + 32 * (sub / 2);
            const int shift = 4 * (sub % 2);
            for (int l = 0; l < 32; ++l) y[32 * sub + l] = scale * ((q[l] >> shift) & 0x0f) - offset;
        }
    }
}

void dequantize_q6_k(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const BlockQ6_K*>(src);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const BlockQ6_K& blk = blocks[b];
        const float d = fp16_to_fp32(blk.d);
        float* y = dst + b * kSuperElems;
        for (int e = 0; e < kSuperElems; ++e) y[e] = d * blk.scales[e / 16] * (q6_k_code(blk, e) - 32);
    }
}

void dequantize_q8_k(const void* src, float* dst, int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_K*>(src);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        for (int i = 0; i < kSuperElems; ++i) dst[b * kSuperElems + i] = blocks[b].d * blocks[b].qs[i];
    }
}

}  // namespace clawbot::kernels::scalar
