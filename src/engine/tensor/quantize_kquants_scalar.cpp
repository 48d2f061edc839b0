// float -> the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and IQ4_XS. Each
// sub-block's scale (and offset, for the affine types) comes from a search
// (quantize_fit.h); the super-block then stores the sub-block scales as small
// integer multiples of one fp16 factor, and the codes are recomputed against
// the scales as they will really be decoded. The types differ only in their
// code and scale ranges and in where their bits go (the encode_* functions,
// inverses of block_decode.h).
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "engine/tensor/block_decode.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quantize_fit.h"
#include "engine/tensor/scalar_kernels.h"
#include "engine/tensor/scalar_rounding.h"

namespace clawbot::kernels::scalar {
namespace {

// --- affine types: value = d * scale * code - dmin * min ----------------------

struct AffineShape {
    int sub_elems;   // 16 or 32
    int n_codes;     // 4, 16 or 32
    int max_scale;   // largest stored scale and min: 15 or 63
};

int affine_level(float x, float scale, float offset, int n_codes) {
    return scale > 0 ? clamp(round_half_even((x + offset) / scale), 0, n_codes - 1) : 0;
}

float affine_error(const float* x, const float* w, int n, float scale, float offset, int n_codes) {
    float err = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = scale * affine_level(x[i], scale, offset, n_codes) - offset - x[i];
        err += w[i] * diff * diff;
    }
    return err;
}

// The integer form (block_decode.h) of the best affine super-block for x;
// d and dmin come back rounded to fp16 (d16, dmin16).
SuperBlockInts quantize_affine(const float* x, AffineShape shape, uint16_t& d16, uint16_t& dmin16) {
    const int n_sub = kSuperElems / shape.sub_elems;
    AffineFit fits[16];
    float weights[kSuperElems];  // errors on large values cost more
    float max_scale = 0.0f, max_offset = 0.0f;
    for (int s = 0; s < n_sub; ++s) {
        const float* xs = x + shape.sub_elems * s;
        float* ws = weights + shape.sub_elems * s;
        float sum_sq = 0.0f;
        for (int i = 0; i < shape.sub_elems; ++i) sum_sq += xs[i] * xs[i];
        const float rms = std::sqrt(sum_sq / static_cast<float>(shape.sub_elems));
        for (int i = 0; i < shape.sub_elems; ++i) ws[i] = rms + std::fabs(xs[i]);
        fits[s] = search_affine(xs, ws, shape.sub_elems, shape.n_codes);
        max_scale = std::fmax(max_scale, fits[s].scale);
        max_offset = std::fmax(max_offset, fits[s].offset);
    }
    SuperBlockInts q;
    q.sub_elems = shape.sub_elems;
    d16 = fp32_to_fp16(max_scale / static_cast<float>(shape.max_scale));
    dmin16 = fp32_to_fp16(max_offset / static_cast<float>(shape.max_scale));
    q.d = fp16_to_fp32(d16);
    q.dmin = fp16_to_fp32(dmin16);
    for (int s = 0; s < n_sub; ++s) {
        const float* xs = x + shape.sub_elems * s;
        const float* ws = weights + shape.sub_elems * s;
        const Multiples sc = bracket(fits[s].scale, q.d, 0, shape.max_scale);
        const Multiples mn = bracket(fits[s].offset, q.dmin, 0, shape.max_scale);
        float best = INFINITY;
        for (int c : {sc.lo, sc.hi}) {
            for (int m : {mn.lo, mn.hi}) {
                const float err = affine_error(xs, ws, shape.sub_elems, q.d * c, q.dmin * m, shape.n_codes);
                if (err < best) {
                    best = err;
                    q.scale[s] = c;
                    q.min[s] = m;
                }
            }
        }
        const float scale = q.d * q.scale[s], offset = q.dmin * q.min[s];
        for (int i = 0; i < shape.sub_elems; ++i) {
            q.code[shape.sub_elems * s + i] = affine_level(xs[i], scale, offset, shape.n_codes);
        }
    }
    return q;
}

void pack_q4_k_style_scales(const SuperBlockInts& q, uint8_t packed[12]) {
    Q4KScales s{};
    for (int j = 0; j < 8; ++j) {
        s.scale[j] = static_cast<uint8_t>(q.scale[j]);
        s.min[j] = static_cast<uint8_t>(q.min[j]);
    }
    pack_q4_k_scales(s, packed);
}

void quantize_q4_k_block(const float* x, BlockQ4_K& y) {
    std::memset(&y, 0, sizeof y);
    const SuperBlockInts q = quantize_affine(x, {32, 16, 63}, y.d, y.dmin);
    pack_q4_k_style_scales(q, y.scales);
    for (int e = 0; e < kSuperElems; ++e) {
        const int sub = e / 32, l = e % 32;
        y.qs[32 * (sub / 2) + l] = static_cast<uint8_t>(y.qs[32 * (sub / 2) + l] | (q.code[e] << (4 * (sub % 2))));
    }
}

void quantize_q5_k_block(const float* x, BlockQ5_K& y) {
    std::memset(&y, 0, sizeof y);
    const SuperBlockInts q = quantize_affine(x, {32, 32, 63}, y.d, y.dmin);
    pack_q4_k_style_scales(q, y.scales);
    for (int e = 0; e < kSuperElems; ++e) {
        const int sub = e / 32, l = e % 32;
        y.qs[32 * (sub / 2) + l] = static_cast<uint8_t>(y.qs[32 * (sub / 2) + l] | ((q.code[e] & 0x0f) << (4 * (sub % 2))));
        y.qh[l] = static_cast<uint8_t>(y.qh[l] | ((q.code[e] >> 4) << sub));
    }
}

// Inverse of two_bit_code for one element; qs must start zeroed.
void add_two_bit_code(uint8_t* qs, int e, int code) {
    const int half = e / 128, g = (e % 128) / 32, l = e % 32;
    qs[32 * half + l] = static_cast<uint8_t>(qs[32 * half + l] | ((code & 3) << (2 * g)));
}

void quantize_q2_k_block(const float* x, BlockQ2_K& y) {
    std::memset(&y, 0, sizeof y);
    const SuperBlockInts q = quantize_affine(x, {16, 4, 15}, y.d, y.dmin);
    for (int s = 0; s < 16; ++s) y.scales[s] = static_cast<uint8_t>(q.scale[s] | (q.min[s] << 4));
    for (int e = 0; e < kSuperElems; ++e) add_two_bit_code(y.qs, e, q.code[e]);
}

// --- symmetric types: value = d * scale * level ------------------------------

int symmetric_level(float x, float scale, int half_codes) {
    return scale != 0 ? clamp(round_half_even(x / scale), -half_codes, half_codes - 1) : 0;
}

float symmetric_error(const float* x, int n, float scale, int half_codes) {
    float err = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = scale * symmetric_level(x[i], scale, half_codes) - x[i];
        err += diff * diff;
    }
    return err;
}

// Sixteen sub-blocks of 16 with levels in [-half_codes, half_codes) and
// signed scales in [-scale_range, scale_range); level in q.code.
SuperBlockInts quantize_symmetric(const float* x, int half_codes, int scale_range, uint16_t& d16) {
    float scales[16];
    float max_scale = 0.0f;  // signed, of largest magnitude
    for (int s = 0; s < 16; ++s) {
        scales[s] = search_symmetric(x + 16 * s, 16, half_codes);
        if (std::fabs(scales[s]) > std::fabs(max_scale)) max_scale = scales[s];
    }
    SuperBlockInts q;
    q.sub_elems = 16;
    // The largest scale maps to the most negative one so the signed scales
    // use their full range.
    d16 = fp32_to_fp16(max_scale / static_cast<float>(-scale_range));
    q.d = fp16_to_fp32(d16);
    for (int s = 0; s < 16; ++s) {
        const Multiples sc = bracket(scales[s], q.d, -scale_range, scale_range - 1);
        const bool lo_better = symmetric_error(x + 16 * s, 16, q.d * sc.lo, half_codes) <=
                               symmetric_error(x + 16 * s, 16, q.d * sc.hi, half_codes);
        q.scale[s] = lo_better ? sc.lo : sc.hi;
        for (int i = 0; i < 16; ++i) q.code[16 * s + i] = symmetric_level(x[16 * s + i], q.d * q.scale[s], half_codes);
    }
    return q;
}

void quantize_q6_k_block(const float* x, BlockQ6_K& y) {
    std::memset(&y, 0, sizeof y);
    const SuperBlockInts q = quantize_symmetric(x, 32, 128, y.d);
    for (int s = 0; s < 16; ++s) y.scales[s] = static_cast<int8_t>(q.scale[s]);
    for (int e = 0; e < kSuperElems; ++e) add_q6_k_code(y, e, q.code[e] + 32);
}

void quantize_q3_k_block(const float* x, BlockQ3_K& y) {
    std::memset(&y, 0, sizeof y);
    const SuperBlockInts q = quantize_symmetric(x, 4, 32, y.d);
    for (int s = 0; s < 16; ++s) {
        const int biased = q.scale[s] + 32;  // 0..63
        if (s < 8) {
            y.scales[s] = static_cast<uint8_t>(y.scales[s] | (biased & 0x0f));
        } else {
            y.scales[s - 8] = static_cast<uint8_t>(y.scales[s - 8] | ((biased & 0x0f) << 4));
        }
        y.scales[8 + s % 4] = static_cast<uint8_t>(y.scales[8 + s % 4] | ((biased >> 4) << (2 * (s / 4))));
    }
    for (int e = 0; e < kSuperElems; ++e) {
        const int code = q.code[e] + 4;  // 0..7
        add_two_bit_code(y.qs, e, code & 3);
        const int half = e / 128, g = (e % 128) / 32, l = e % 32;
        y.hmask[l] = static_cast<uint8_t>(y.hmask[l] | ((code >> 2) << (4 * half + g)));
    }
}

// --- IQ4_XS: value = d * scale * kIq4Levels[nibble] --------------------------

void quantize_iq4_xs_block(const float* x, BlockIQ4_XS& y) {
    float scales[8];
    float max_scale = 0.0f;
    for (int s = 0; s < 8; ++s) {
        scales[s] = search_iq4_scale(x + 32 * s, 32);
        if (std::fabs(scales[s]) > std::fabs(max_scale)) max_scale = scales[s];
    }
    std::memset(&y, 0, sizeof y);
    y.d = fp32_to_fp16(max_scale / -32.0f);
    const float d = fp16_to_fp32(y.d);
    for (int s = 0; s < 8; ++s) {
        const Multiples sc = bracket(scales[s], d, -32, 31);
        const int scale = iq4_error(x + 32 * s, 32, d * sc.lo) <= iq4_error(x + 32 * s, 32, d * sc.hi) ? sc.lo : sc.hi;
        const int biased = scale + 32;
        y.scales_l[s / 2] = static_cast<uint8_t>(y.scales_l[s / 2] | ((biased & 0x0f) << (4 * (s % 2))));
        y.scales_h = static_cast<uint16_t>(y.scales_h | ((biased >> 4) << (2 * s)));
        const float unit = d * static_cast<float>(scale);
        for (int i = 0; i < 16; ++i) {
            const int lo = unit != 0 ? nearest_iq4_level(x[32 * s + i] / unit) : 8;
            const int hi = unit != 0 ? nearest_iq4_level(x[32 * s + 16 + i] / unit) : 8;
            y.qs[16 * s + i] = static_cast<uint8_t>(lo | (hi << 4));
        }
    }
}

template <typename Block, void (*kBlock)(const float*, Block&)>
void quantize_super_blocks(const float* src, void* dst, int64_t n) {
    auto* blocks = static_cast<Block*>(dst);
    for (int64_t b = 0; b < n / kSuperElems; ++b) kBlock(src + b * kSuperElems, blocks[b]);
}

}  // namespace

void quantize_q2_k(const float* src, void* dst, int64_t n) { quantize_super_blocks<BlockQ2_K, quantize_q2_k_block>(src, dst, n); }
void quantize_q3_k(const float* src, void* dst, int64_t n) { quantize_super_blocks<BlockQ3_K, quantize_q3_k_block>(src, dst, n); }
void quantize_q4_k(const float* src, void* dst, int64_t n) { quantize_super_blocks<BlockQ4_K, quantize_q4_k_block>(src, dst, n); }
void quantize_q5_k(const float* src, void* dst, int64_t n) { quantize_super_blocks<BlockQ5_K, quantize_q5_k_block>(src, dst, n); }
void quantize_q6_k(const float* src, void* dst, int64_t n) { quantize_super_blocks<BlockQ6_K, quantize_q6_k_block>(src, dst, n); }
void quantize_iq4_xs(const float* src, void* dst, int64_t n) {
    quantize_super_blocks<BlockIQ4_XS, quantize_iq4_xs_block>(src, dst, n);
}

}  // namespace clawbot::kernels::scalar
