#pragma once
// Scalar access to the packed fields of K-quant blocks, for the reference
// kernels and the quantizers. SIMD translation units must not include this:
// an inline function compiled there with AVX-512 flags could be the copy the
// linker keeps for baseline callers too.
#include <cstdint>

#include "engine/tensor/block_formats.h"

namespace clawbot::kernels {

// The 6-bit scale and min of each Q4_K sub-block. Sub-blocks 0..3 keep theirs
// in the low 6 bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7
// keep their low 4 bits in bytes 8..11 and their top 2 bits in the spare top
// bits of bytes 0..7.
struct Q4KScales {
    uint8_t scale[8];
    uint8_t min[8];
};

inline Q4KScales unpack_q4_k_scales(const uint8_t packed[12]) {
    Q4KScales s{};
    for (int j = 0; j < 4; ++j) {
        s.scale[j] = packed[j] & 63;
        s.min[j] = packed[j + 4] & 63;
    }
    for (int j = 4; j < 8; ++j) {
        s.scale[j] = static_cast<uint8_t>((packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4));
        s.min[j] = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
    }
    return s;
}

// Element e (0..255) of a Q6_K block as its unsigned 6-bit code (0..63).
// Each half of 128 elements uses 64 ql bytes and 32 qh bytes: element
// 32*g + l of the half takes nibble g/2 of ql[l + 32*(g%2)] and bits
// 2g..2g+1 of qh[l].
inline int q6_k_code(const BlockQ6_K& b, int e) {
    const int half = e / 128, g = (e % 128) / 32, l = e % 32;
    const uint8_t low_byte = b.ql[64 * half + l + 32 * (g % 2)];
    const int low = (g < 2) ? (low_byte & 0x0f) : (low_byte >> 4);
    const int high = (b.qh[32 * half + l] >> (2 * g)) & 3;
    return low | (high << 4);
}

// Inverse of unpack_q4_k_scales; every value must be < 64.
inline void pack_q4_k_scales(const Q4KScales& s, uint8_t packed[12]) {
    for (int j = 0; j < 4; ++j) {
        packed[j] = static_cast<uint8_t>(s.scale[j] | ((s.scale[j + 4] >> 4) << 6));
        packed[j + 4] = static_cast<uint8_t>(s.min[j] | ((s.min[j + 4] >> 4) << 6));
        packed[j + 8] = static_cast<uint8_t>((s.scale[j + 4] & 0x0f) | ((s.min[j + 4] & 0x0f) << 4));
    }
}

// Inverse of q6_k_code for one element; ql and qh must start zeroed.
inline void add_q6_k_code(BlockQ6_K& b, int e, int code) {
    const int half = e / 128, g = (e % 128) / 32, l = e % 32;
    uint8_t& low_byte = b.ql[64 * half + l + 32 * (g % 2)];
    low_byte = static_cast<uint8_t>(low_byte | ((code & 0x0f) << (g < 2 ? 0 : 4)));
    uint8_t& high_byte = b.qh[32 * half + l];
    high_byte = static_cast<uint8_t>(high_byte | ((code >> 4) << (2 * g)));
}

}  // namespace clawbot::kernels
