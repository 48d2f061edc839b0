#pragma once
// The newer GGUF block types decoded to integers, for the scalar reference
// kernels and the packers. Every format below is "integer code times an
// integer sub-block scale times a float, minus an optional offset"; decoding
// to that common form once lets one dequantizer and one dot product serve
// them all, and states each format's bit layout in exactly one place.
// Scalar code only (see block_fields.h on SIMD translation units).
#include <cstdint>
#include <cstring>

#include "engine/tensor/block_fields.h"
#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"

namespace clawbot::kernels {

// A block of 32: value[i] = d * code[i] + m.
struct Block32Ints {
    float d = 0, m = 0;
    int code[32] = {};
};

// A super-block of 256: value[e] = d * scale[s] * code[e] - dmin * min[s]
// for sub-block s = e / sub_elems (16 or 32 elements).
struct SuperBlockInts {
    float d = 0, dmin = 0;
    int sub_elems = 32;
    int scale[16] = {};
    int min[16] = {};
    int code[256] = {};
};

// Q4_0-style nibbles: byte i holds element i (low) and i + 16 (high).
inline void decode_nibbles(const uint8_t qs[16], int code[32]) {
    for (int i = 0; i < 16; ++i) {
        code[i] = qs[i] & 0x0f;
        code[i + 16] = qs[i] >> 4;
    }
}

inline void add_q5_high_bits(const uint8_t qh[4], int code[32]) {
    uint32_t bits;
    std::memcpy(&bits, qh, sizeof bits);
    for (int i = 0; i < 32; ++i) code[i] |= static_cast<int>((bits >> i) & 1) << 4;
}

inline Block32Ints decode_q4_1(const BlockQ4_1& b) {
    Block32Ints out;
    out.d = fp16_to_fp32(b.d);
    out.m = fp16_to_fp32(b.m);
    decode_nibbles(b.qs, out.code);
    return out;
}

inline Block32Ints decode_q5_0(const BlockQ5_0& b) {
    Block32Ints out;
    out.d = fp16_to_fp32(b.d);
    decode_nibbles(b.qs, out.code);
    add_q5_high_bits(b.qh, out.code);
    for (int& c : out.code) c -= 16;
    return out;
}

inline Block32Ints decode_q5_1(const BlockQ5_1& b) {
    Block32Ints out;
    out.d = fp16_to_fp32(b.d);
    out.m = fp16_to_fp32(b.m);
    decode_nibbles(b.qs, out.code);
    add_q5_high_bits(b.qh, out.code);
    return out;
}

inline Block32Ints decode_iq4_nl(const BlockIQ4_NL& b) {
    Block32Ints out;
    out.d = fp16_to_fp32(b.d);
    decode_nibbles(b.qs, out.code);
    for (int& c : out.code) c = kIq4Levels[c];
    return out;
}

// Q2_K / Q3_K codes: each half of 128 elements uses 32 bytes of qs; element
// 32g + l of the half sits at bits 2g..2g+1 of qs[32 * half + l].
inline int two_bit_code(const uint8_t* qs, int e) {
    const int half = e / 128, g = (e % 128) / 32, l = e % 32;
    return (qs[32 * half + l] >> (2 * g)) & 3;
}

inline SuperBlockInts decode_q2_k(const BlockQ2_K& b) {
    SuperBlockInts out;
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
    out.sub_elems = 16;
    for (int s = 0; s < 16; ++s) {
        out.scale[s] = b.scales[s] & 0x0f;
        out.min[s] = b.scales[s] >> 4;
    }
    for (int e = 0; e < kSuperElems; ++e) out.code[e] = two_bit_code(b.qs, e);
    return out;
}

// Q3_K's 6-bit scale of sub-block s (0..63, stored biased by 32): its low 4
// bits are the low nibble of byte s (s < 8) or the high nibble of byte s - 8,
// its top 2 bits are bits 2(s/4)..2(s/4)+1 of byte 8 + s % 4.
inline int q3_k_scale(const uint8_t scales[12], int s) {
    const int low = s < 8 ? (scales[s] & 0x0f) : (scales[s - 8] >> 4);
    const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
    return low | (high << 4);
}

// Element e's high bit is bit 4 * half + g of hmask[l] (half, g, l as in
// two_bit_code); a clear bit subtracts 4.
inline SuperBlockInts decode_q3_k(const BlockQ3_K& b) {
    SuperBlockInts out;
    out.d = fp16_to_fp32(b.d);
    out.sub_elems = 16;
    for (int s = 0; s < 16; ++s) out.scale[s] = q3_k_scale(b.scales, s) - 32;
    for (int e = 0; e < kSuperElems; ++e) {
        const int half = e / 128, g = (e % 128) / 32, l = e % 32;
        const int high = (b.hmask[l] >> (4 * half + g)) & 1;
        out.code[e] = two_bit_code(b.qs, e) + 4 * high - 4;
    }
    return out;
}

inline SuperBlockInts decode_q5_k(const BlockQ5_K& b) {
    SuperBlockInts out;
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
    const Q4KScales s = unpack_q4_k_scales(b.scales);
    for (int j = 0; j < 8; ++j) {
        out.scale[j] = s.scale[j];
        out.min[j] = s.min[j];
    }
    for (int e = 0; e < kSuperElems; ++e) {
        const int sub = e / 32, l = e % 32;
        const uint8_t byte = b.qs[32 * (sub / 2) + l];
        const int low = sub % 2 ? byte >> 4 : byte & 0x0f;
        out.code[e] = low | (((b.qh[l] >> sub) & 1) << 4);
    }
    return out;
}

inline int iq4_xs_scale(const BlockIQ4_XS& b, int s) {
    const int low = (b.scales_l[s / 2] >> (4 * (s % 2))) & 0x0f;
    const int high = (b.scales_h >> (2 * s)) & 3;
    return (low | (high << 4)) - 32;
}

inline SuperBlockInts decode_iq4_xs(const BlockIQ4_XS& b) {
    SuperBlockInts out;
    out.d = fp16_to_fp32(b.d);
    for (int s = 0; s < 8; ++s) {
        out.scale[s] = iq4_xs_scale(b, s);
        decode_nibbles(b.qs + 16 * s, out.code + 32 * s);
    }
    for (int& c : out.code) c = kIq4Levels[c];
    return out;
}

}  // namespace clawbot::kernels
