// float -> F16, BF16, Q8_0, Q4_0 and the Q8_K activation type. The rounding
// rules are ggml's, so our quantized activations (and hence our logits)
// match llama.cpp's and re-quantized weights match its files.
#include <cmath>
#include <cstring>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quantize_fit.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/scalar_rounding.h"

namespace clawbot::kernels::scalar {
void quantize_f32(const float* src, void* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void quantize_f16(const float* src, void* dst, int64_t n) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
}

void quantize_bf16(const float* src, void* dst, int64_t n) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
}

// d = amax / 127 (stored as fp16); q = round_half_even(x * (127 / amax)). The
// multiplier is 127/amax rather than 1/d, exactly as ggml's x86 path has it.
void quantize_q8_0(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_0*>(dst);
    for (int64_t b = 0; b < n / kQ8_0Elems; ++b) {
        const float* x = src + b * kQ8_0Elems;
        float amax = 0.0f;
        for (int i = 0; i < kQ8_0Elems; ++i) {
            const float a = std::fabs(x[i]);
            amax = a > amax ? a : amax;
        }
        const float inv = amax != 0.0f ? 127.0f / amax : 0.0f;
        blocks[b].d = fp32_to_fp16(amax / 127.0f);
        for (int i = 0; i < kQ8_0Elems; ++i) blocks[b].qs[i] = static_cast<int8_t>(round_half_even(x[i] * inv));
    }
}

// The element of largest magnitude maps to -8 (so the 16 codes cover
// [-8, 7] * d with the extreme exactly representable); others round to
// nearest, clamped to code 15.
void quantize_q4_0(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ4_0*>(dst);
    for (int64_t b = 0; b < n / kQ4_0Elems; ++b) {
        const float* x = src + b * kQ4_0Elems;
        const float d = signed_absmax(x, kQ4_0Elems) / -8.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        blocks[b].d = fp32_to_fp16(d);
        auto code = [&](int i) {
            const int c = static_cast<int>(x[i] * inv + 8.5f);  // truncation: x*inv + 8 >= -0.5 here
            return static_cast<uint8_t>(c > 15 ? 15 : c);
        };
        for (int i = 0; i < kQ4_0Elems / 2; ++i) {
            blocks[b].qs[i] = static_cast<uint8_t>(code(i) | (code(i + kQ4_0Elems / 2) << 4));
        }
    }
}

// The element of largest magnitude maps to -127: q = round_half_even(x * -127/max)
// and d = 1 / (-127/max), which is ggml's Q8_K rule to the bit.
void quantize_q8_k(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(dst);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
        const float* x = src + b * kSuperElems;
        BlockQ8_K& y = blocks[b];
        const float max = signed_absmax(x, kSuperElems);
        if (max == 0.0f) {
            std::memset(&y, 0, sizeof y);
            continue;
        }
        const float inv = -127.0f / max;
        for (int i = 0; i < kSuperElems; ++i) {
            const int q = round_half_even(inv * x[i]);
            y.qs[i] = static_cast<int8_t>(q > 127 ? 127 : q);
        }
        for (int g = 0; g < kSuperElems / 16; ++g) {
            int sum = 0;
            for (int i = 0; i < 16; ++i) sum += y.qs[16 * g + i];
            y.bsums[g] = static_cast<int16_t>(sum);
        }
        y.d = 1.0f / inv;
    }
}

}  // namespace clawbot::kernels::scalar
