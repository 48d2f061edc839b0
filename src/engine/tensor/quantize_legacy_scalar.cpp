// float -> the blocks of 32 with one scale (Q5_0, IQ4_NL) or a scale and an
// offset (Q4_1, Q5_1): the scale search of quantize_fit.h per block, the
// scale rounded to fp16, then every code chosen against the rounded scale.
#include <cmath>
#include <cstring>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quantize_fit.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/scalar_rounding.h"

namespace clawbot::kernels::scalar {
namespace {

constexpr int kBlock = 32;

// Codes 0..n_codes-1 for value = d * code + m; d and m rounded to fp16.
void affine_block(const float* x, int n_codes, uint16_t& d16, uint16_t& m16, int code[kBlock]) {
    float sum_sq = 0.0f;
    for (int i = 0; i < kBlock; ++i) sum_sq += x[i] * x[i];
    const float rms = std::sqrt(sum_sq / kBlock);
    float w[kBlock];
    for (int i = 0; i < kBlock; ++i) w[i] = rms + std::fabs(x[i]);
    const AffineFit fit = search_affine(x, w, kBlock, n_codes);
    d16 = fp32_to_fp16(fit.scale);
    m16 = fp32_to_fp16(-fit.offset);
    const float d = fp16_to_fp32(d16), m = fp16_to_fp32(m16);
    for (int i = 0; i < kBlock; ++i) code[i] = d > 0 ? clamp(round_half_even((x[i] - m) / d), 0, n_codes - 1) : 0;
}

void store_nibbles(const int code[kBlock], uint8_t qs[16]) {
    for (int i = 0; i < 16; ++i) qs[i] = static_cast<uint8_t>((code[i] & 0x0f) | ((code[i + 16] & 0x0f) << 4));
}

void store_high_bits(const int code[kBlock], uint8_t qh[4]) {
    uint32_t bits = 0;
    for (int i = 0; i < kBlock; ++i) bits |= static_cast<uint32_t>((code[i] >> 4) & 1) << i;
    std::memcpy(qh, &bits, sizeof bits);
}

}  // namespace

void quantize_q4_1(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ4_1*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b) {
        int code[kBlock];
        affine_block(src + b * kBlock, 16, blocks[b].d, blocks[b].m, code);
        store_nibbles(code, blocks[b].qs);
    }
}

void quantize_q5_1(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ5_1*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b) {
        int code[kBlock];
        affine_block(src + b * kBlock, 32, blocks[b].d, blocks[b].m, code);
        store_nibbles(code, blocks[b].qs);
        store_high_bits(code, blocks[b].qh);
    }
}

void quantize_q5_0(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ5_0*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const float* x = src + b * kBlock;
        blocks[b].d = fp32_to_fp16(search_symmetric(x, kBlock, 16));
        const float d = fp16_to_fp32(blocks[b].d);
        int code[kBlock];
        for (int i = 0; i < kBlock; ++i) code[i] = (d != 0 ? clamp(round_half_even(x[i] / d), -16, 15) : 0) + 16;
        store_nibbles(code, blocks[b].qs);
        store_high_bits(code, blocks[b].qh);
    }
}

void quantize_iq4_nl(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockIQ4_NL*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const float* x = src + b * kBlock;
        blocks[b].d = fp32_to_fp16(search_iq4_scale(x, kBlock));
        const float d = fp16_to_fp32(blocks[b].d);
        int code[kBlock];
        for (int i = 0; i < kBlock; ++i) code[i] = d != 0 ? nearest_iq4_level(x[i] / d) : 8;
        store_nibbles(code, blocks[b].qs);
    }
}

}  // namespace clawbot::kernels::scalar
