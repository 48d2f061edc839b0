#pragma once
// Quantized block layouts, byte for byte those of the GGUF ecosystem (ggml),
// so weights from downloaded files are read in place without conversion.
#include <cstdint>

namespace clawbot::kernels {

constexpr int kQ8_0Elems = 32;
constexpr int kQ4_0Elems = 32;
constexpr int kSuperElems = 256;  // "K-quant" super-block

// value = d * qs[i]
struct BlockQ8_0 {
    uint16_t d;  // fp16
    int8_t qs[kQ8_0Elems];
};

// value = d * (nibble - 8); byte i holds element i (low nibble) and i + 16.
struct BlockQ4_0 {
    uint16_t d;  // fp16
    uint8_t qs[kQ4_0Elems / 2];
};

// Eight sub-blocks of 32: value = d * scale[s] * nibble - dmin * min[s], with
// 6-bit scales and mins packed into 12 bytes (see unpack_q4_k_scales). Bytes
// qs[32p .. 32p+31] hold sub-block 2p in low nibbles and 2p+1 in high ones.
struct BlockQ4_K {
    uint16_t d;     // fp16, multiplies the scales
    uint16_t dmin;  // fp16, multiplies the mins
    uint8_t scales[12];
    uint8_t qs[kSuperElems / 2];
};

// Sixteen sub-blocks of 16: value = d * scales[s] * (q - 32) with 6-bit q
// split into a low nibble (ql) and two high bits (qh); see q6_k_value.
struct BlockQ6_K {
    uint8_t ql[kSuperElems / 2];
    uint8_t qh[kSuperElems / 4];
    int8_t scales[kSuperElems / 16];
    uint16_t d;  // fp16
};

// The 16 levels of IQ4_NL / IQ4_XS codes: non-uniform, denser near zero.
constexpr int8_t kIq4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// value = d * nibble + m; nibbles laid out as in Q4_0.
struct BlockQ4_1 {
    uint16_t d;  // fp16
    uint16_t m;  // fp16
    uint8_t qs[16];
};

// value = d * (q - 16) with 5-bit q: the low 4 bits as Q4_0's nibbles, bit 4
// of element i in bit i of qh (read as little-endian uint32).
struct BlockQ5_0 {
    uint16_t d;  // fp16
    uint8_t qh[4];
    uint8_t qs[16];
};

// value = d * q + m with q as in Q5_0.
struct BlockQ5_1 {
    uint16_t d;  // fp16
    uint16_t m;  // fp16
    uint8_t qh[4];
    uint8_t qs[16];
};

// value = d * kIq4Levels[nibble]; nibbles laid out as in Q4_0.
struct BlockIQ4_NL {
    uint16_t d;  // fp16
    uint8_t qs[16];
};

// Sixteen sub-blocks of 16: value = d * (scales[s] & 15) * q - dmin *
// (scales[s] >> 4) with 2-bit q (see q2_k_code).
struct BlockQ2_K {
    uint8_t scales[kSuperElems / 16];
    uint8_t qs[kSuperElems / 4];
    uint16_t d;     // fp16
    uint16_t dmin;  // fp16
};

// Sixteen sub-blocks of 16: value = d * (scale[s] - 32) * (q - 4) with 6-bit
// scales packed into 12 bytes and 3-bit q split into 2 low bits (qs) and a
// high bit (hmask); see q3_k_scale and q3_k_code.
struct BlockQ3_K {
    uint8_t hmask[kSuperElems / 8];
    uint8_t qs[kSuperElems / 4];
    uint8_t scales[12];
    uint16_t d;  // fp16
};

// Q4_K with a fifth code bit: value = d * scale[s] * q - dmin * min[s] with
// 5-bit q; bit 4 of element 32s + l is bit s of qh[l].
struct BlockQ5_K {
    uint16_t d;     // fp16
    uint16_t dmin;  // fp16
    uint8_t scales[12];
    uint8_t qh[kSuperElems / 8];
    uint8_t qs[kSuperElems / 2];
};

// Eight sub-blocks of 32: value = d * (scale[s] - 32) * kIq4Levels[nibble],
// 6-bit scales split into scales_l (4 bits) and scales_h (2 bits); sub-block
// s keeps its nibbles in qs[16s .. 16s+15] laid out as Q4_0's.
struct BlockIQ4_XS {
    uint16_t d;  // fp16
    uint16_t scales_h;
    uint8_t scales_l[kSuperElems / 64];
    uint8_t qs[kSuperElems / 2];
};

// Activation type of the K-quants: value = d * qs[i]; bsums[g] is the sum of
// qs[16g .. 16g+15], which lets a dot subtract per-sub-block offsets cheaply.
struct BlockQ8_K {
    float d;
    int8_t qs[kSuperElems];
    int16_t bsums[kSuperElems / 16];
};

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockIQ4_XS) == 136);

}  // namespace clawbot::kernels
