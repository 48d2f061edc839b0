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

}  // namespace clawbot::kernels
