// Block layouts decode as in ggml (hand-built blocks with hand-computed
// values), and the quantizers follow ggml's rounding rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/kernels.h"

namespace clawbot::kernels {
namespace {

std::vector<float> dequantize(DType type, const void* blocks, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    kernels_for(type, Isa::Scalar)->dequantize(blocks, out.data(), n);
    return out;
}

TEST(BlockFormats, Q8_0Decodes) {
    BlockQ8_0 b{};
    b.d = 0x3800;  // 0.5
    for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(i * 8 - 128);
    const std::vector<float> y = dequantize(DType::Q8_0, &b, 32);
    EXPECT_EQ(y[0], -64.0f);
    EXPECT_EQ(y[16], 0.0f);
    EXPECT_EQ(y[31], 60.0f);
}

TEST(BlockFormats, Q4_0LowNibblesAreTheFirstHalf) {
    BlockQ4_0 b{};
    b.d = 0x4000;  // 2.0
    for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
    const std::vector<float> y = dequantize(DType::Q4_0, &b, 32);
    EXPECT_EQ(y[0], -16.0f);   // (0 - 8) * 2
    EXPECT_EQ(y[15], 14.0f);   // (15 - 8) * 2
    EXPECT_EQ(y[16], 14.0f);   // high nibble of byte 0 is 15
    EXPECT_EQ(y[31], -16.0f);  // high nibble of byte 15 is 0
    EXPECT_EQ(y[9], 2.0f);
}

// Scales {1,2,3,4,33,45,62,17} and mins {5,6,7,8,50,9,63,0} packed by hand:
// bytes 0-3 hold scales 0-3 plus the top bits of scales 4-7, bytes 4-7 the
// mins likewise, bytes 8-11 the low nibbles of scale (low) and min (high) 4-7.
constexpr uint8_t kPackedScales[12] = {129, 130, 195, 68, 197, 6, 199, 8, 33, 157, 254, 1};
constexpr int kScales[8] = {1, 2, 3, 4, 33, 45, 62, 17};
constexpr int kMins[8] = {5, 6, 7, 8, 50, 9, 63, 0};

TEST(BlockFormats, Q4_KDecodesPackedScalesAndNibbleOrder) {
    BlockQ4_K b{};
    b.d = 0x3C00;     // 1.0
    b.dmin = 0x3800;  // 0.5
    std::memcpy(b.scales, kPackedScales, 12);
    for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i % 16) | (((i + 3) % 16) << 4));
    const std::vector<float> y = dequantize(DType::Q4_K, &b, 256);
    for (int sub = 0; sub < 8; ++sub) {
        for (int l = 0; l < 32; ++l) {
            const int byte = 32 * (sub / 2) + l;
            const int q = sub % 2 == 0 ? byte % 16 : (byte + 3) % 16;
            ASSERT_EQ(y[static_cast<size_t>(32 * sub + l)], 1.0f * kScales[sub] * q - 0.5f * kMins[sub])
                << "sub-block " << sub << " element " << l;
        }
    }
}

TEST(BlockFormats, Q4_KQuantizerPacksScalesTheSameWay) {
    // A block whose sub-blocks need different scales: quantize, then check
    // that each sub-block decodes close to its own input.
    std::vector<float> x(256);
    for (int i = 0; i < 256; ++i)
        x[static_cast<size_t>(i)] = static_cast<float>((i % 32) - 5) * static_cast<float>(1 + i / 32);
    std::vector<uint8_t> q(sizeof(BlockQ4_K));
    kernels_for(DType::Q4_K, Isa::Scalar)->quantize(x.data(), q.data(), 256);
    const std::vector<float> y = dequantize(DType::Q4_K, q.data(), 256);
    for (int i = 0; i < 256; ++i) {
        const float step = static_cast<float>(1 + i / 32) * 31.0f / 15.0f;
        ASSERT_NEAR(y[static_cast<size_t>(i)], x[static_cast<size_t>(i)], step) << i;
    }
}

TEST(BlockFormats, Q6_KDecodesSplitBitsAndScales) {
    BlockQ6_K b{};
    b.d = 0x3800;  // 0.5
    for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(s - 8);
    b.ql[0] = 0x5A;         // element 0 low nibble 0xA; element 64 low nibble 0x5
    b.qh[0] = 0b10010011;   // element 0 high bits 3, element 32 high 0, element 64 high 1, element 96 high 2
    b.ql[36] = 0xC0;        // element 100 = half 0, group 3, l 4 -> ql[4 + 32] high nibble 0xC
    b.qh[4] = 0b11000000;   // ... with high bits 3
    b.ql[72] = 0x70;        // element 200 = half 1, group 2, l 8 -> ql[64 + 8] high nibble 7
    b.qh[40] = 0b00100000;  // ... qh[32 + 8] bits 4-5 = 2
    const std::vector<float> y = dequantize(DType::Q6_K, &b, 256);
    EXPECT_EQ(y[0], 0.5f * (0 - 8) * ((0xA | (3 << 4)) - 32));
    EXPECT_EQ(y[32], 0.5f * (2 - 8) * (0 - 32));
    EXPECT_EQ(y[64], 0.5f * (4 - 8) * ((0x5 | (1 << 4)) - 32));
    EXPECT_EQ(y[96], 0.5f * (6 - 8) * ((0 | (2 << 4)) - 32));
    EXPECT_EQ(y[100], 0.5f * (6 - 8) * ((0xC | (3 << 4)) - 32));
    EXPECT_EQ(y[200], 0.5f * (12 - 8) * ((0x7 | (2 << 4)) - 32));
    EXPECT_EQ(y[1], 0.5f * (0 - 8) * (0 - 32));  // all-zero code is -32
}

// ggml's Q8_0 rule on x86: d = fp16(amax / 127), q = round-half-even(x * (127 / amax)).
TEST(ActivationQuantizer, Q8_0FollowsGgmlRounding) {
    float x[32] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -126.5f, 3.49f, -3.51f};
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        QuantizeFn quantize = activation_quantizer(DType::Q8_0, isa);
        if (quantize == nullptr) continue;
        BlockQ8_0 b{};
        quantize(x, &b, 32);
        EXPECT_EQ(b.d, 0x3C00) << isa_name(isa);
        const int want[9] = {127, 0, 2, 2, 0, -2, -126, 3, -4};
        for (int i = 0; i < 9; ++i) EXPECT_EQ(b.qs[i], want[i]) << isa_name(isa) << " element " << i;
        for (int i = 9; i < 32; ++i) EXPECT_EQ(b.qs[i], 0) << isa_name(isa);
    }
}

TEST(ActivationQuantizer, Q8_0UsesTheUnroundedMultiplier) {
    // amax = 0.3 is not a multiple of 1/127 in fp16: the codes come from
    // 127 / amax, not from the fp16-rounded d.
    float x[32] = {};
    for (int i = 0; i < 32; ++i) x[i] = 0.3f * static_cast<float>(i - 16) / 16.0f;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        QuantizeFn quantize = activation_quantizer(DType::Q8_0, isa);
        if (quantize == nullptr) continue;
        BlockQ8_0 b{};
        quantize(x, &b, 32);
        EXPECT_EQ(b.d, fp32_to_fp16(0.3f / 127.0f));
        const float inv = 127.0f / 0.3f;
        for (int i = 0; i < 32; ++i) EXPECT_EQ(b.qs[i], static_cast<int>(std::nearbyint(x[i] * inv))) << i;
    }
}

TEST(ActivationQuantizer, Q8_0ZeroBlock) {
    float x[64] = {};
    x[40] = -1.0f;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        QuantizeFn quantize = activation_quantizer(DType::Q8_0, isa);
        if (quantize == nullptr) continue;
        BlockQ8_0 b[2] = {};
        quantize(x, b, 64);
        EXPECT_EQ(b[0].d, 0);
        for (int i = 0; i < 32; ++i) EXPECT_EQ(b[0].qs[i], 0);
        EXPECT_EQ(b[1].qs[8], -127);
    }
}

// ggml's Q8_K rule: the first element of largest magnitude maps to -127,
// q = round-half-even(x * -127 / max), d = 1 / (-127 / max), bsums per 16.
TEST(ActivationQuantizer, Q8_KFollowsGgmlRule) {
    std::vector<float> x(768, 0.0f);
    x[3] = -127.0f;  // multiplier exactly 1, so ties are real ties
    x[10] = 127.0f;
    x[20] = 63.5f;  // ties to even: 64
    x[21] = 0.5f;   // 0
    x[22] = -1.5f;  // -2
    x[512 + 5] = 4.0f;
    x[512 + 9] = -4.0f;  // same magnitude later: the first one (positive) decides the sign
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        QuantizeFn quantize = activation_quantizer(DType::Q8_K, isa);
        if (quantize == nullptr) continue;
        BlockQ8_K b[3];
        std::memset(b, 0x55, sizeof b);
        quantize(x.data(), b, 768);
        EXPECT_EQ(b[0].d, 1.0f) << isa_name(isa);
        EXPECT_EQ(b[0].qs[3], -127);
        EXPECT_EQ(b[0].qs[10], 127);
        EXPECT_EQ(b[0].qs[20], 64);
        EXPECT_EQ(b[0].qs[21], 0);
        EXPECT_EQ(b[0].qs[22], -2);
        EXPECT_EQ(b[0].bsums[0], -127 + 127);
        EXPECT_EQ(b[0].bsums[1], 64 - 2);
        for (int g = 2; g < 16; ++g) EXPECT_EQ(b[0].bsums[g], 0);
        // An all-zero super-block is all zeros, d included.
        EXPECT_EQ(b[1].d, 0.0f);
        for (int i = 0; i < 256; ++i) ASSERT_EQ(b[1].qs[i], 0);
        for (int g = 0; g < 16; ++g) ASSERT_EQ(b[1].bsums[g], 0);
        EXPECT_EQ(b[2].d, 1.0f / (-127.0f / 4.0f));
        EXPECT_EQ(b[2].qs[5], -127);
        EXPECT_EQ(b[2].qs[9], 127);
    }
}

TEST(ActivationQuantizer, F32IsACopy) {
    const float x[4] = {1.5f, -2.0f, 3.25f, 0.0f};
    float y[4] = {};
    activation_quantizer(DType::F32)(x, y, 4);
    EXPECT_EQ(std::memcmp(x, y, sizeof x), 0);
}

TEST(Kernels, SupportedTypesAndActivationTypes) {
    const std::pair<DType, DType> expected[] = {
        {DType::F32, DType::F32},    {DType::F16, DType::F32},    {DType::BF16, DType::F32},   {DType::Q8_0, DType::Q8_0},
        {DType::Q4_0, DType::Q8_0},  {DType::Q4_K, DType::Q8_K},  {DType::Q6_K, DType::Q8_K},  {DType::Q4_1, DType::Q8_0},
        {DType::Q5_0, DType::Q8_0},  {DType::Q5_1, DType::Q8_0},  {DType::IQ4_NL, DType::Q8_0}, {DType::Q2_K, DType::Q8_K},
        {DType::Q3_K, DType::Q8_K},  {DType::Q5_K, DType::Q8_K},  {DType::IQ4_XS, DType::Q8_K}};
    for (const auto& [weight, activation] : expected) {
        EXPECT_TRUE(is_supported_weight(weight));
        const TypeKernels* k = kernels(weight);
        ASSERT_NE(k, nullptr);
        EXPECT_EQ(k->weight, weight);
        EXPECT_EQ(k->activation, activation);
        EXPECT_NE(k->dequantize, nullptr);
        EXPECT_NE(k->gemm, nullptr);
        EXPECT_NE(k->quantize, nullptr);
        EXPECT_NE(activation_quantizer(activation), nullptr);
    }
    EXPECT_FALSE(is_supported_weight(DType::IQ3_S));
    EXPECT_EQ(kernels(DType::IQ2_XXS), nullptr);
    EXPECT_EQ(kernels_for(DType::Q8_1, Isa::Scalar), nullptr);
}

}  // namespace
}  // namespace clawbot::kernels
