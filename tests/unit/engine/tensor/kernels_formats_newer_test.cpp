// The newer block layouts (issue 12) decode as ggml defines them: hand-built
// blocks with hand-computed values, one per format, so a bit-layout mistake
// shows here by name rather than only as a conformance cosine.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "engine/tensor/block_formats.h"
#include "engine/tensor/kernels.h"

namespace clawbot::kernels {
namespace {

constexpr uint16_t kOne = 0x3C00, kHalf = 0x3800, kTwo = 0x4000, kMinusOne = 0xBC00;

std::vector<float> dequantize(DType type, const void* blocks, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    kernels_for(type, Isa::Scalar)->dequantize(blocks, out.data(), n);
    return out;
}

TEST(NewerBlockFormats, Q4_1AddsItsOffset) {
    BlockQ4_1 b{};
    b.d = kTwo;
    b.m = kMinusOne;
    b.qs[0] = 0xF3;
    const std::vector<float> y = dequantize(DType::Q4_1, &b, 32);
    EXPECT_EQ(y[0], 5.0f);    // 2 * 3 - 1
    EXPECT_EQ(y[16], 29.0f);  // 2 * 15 - 1
    EXPECT_EQ(y[1], -1.0f);
}

TEST(NewerBlockFormats, Q5_0TakesBitFourFromQhInElementOrder) {
    BlockQ5_0 b{};
    b.d = kOne;
    for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i);
    const uint32_t bits = (1u << 0) | (1u << 16) | (1u << 31);
    std::memcpy(b.qh, &bits, 4);
    const std::vector<float> y = dequantize(DType::Q5_0, &b, 32);
    EXPECT_EQ(y[0], 0.0f);     // 0 | 16, minus 16
    EXPECT_EQ(y[1], -15.0f);   // 1 - 16
    EXPECT_EQ(y[15], -1.0f);
    EXPECT_EQ(y[16], 0.0f);    // high nibble 0, bit 16 set
    EXPECT_EQ(y[17], -16.0f);  // high nibble 0, bit 17 clear
    EXPECT_EQ(y[31], 0.0f);
}

TEST(NewerBlockFormats, Q5_1ScalesAndOffsets) {
    BlockQ5_1 b{};
    b.d = kHalf;
    b.m = kTwo;
    b.qs[3] = 0x75;
    const uint32_t bits = 1u << 3;
    std::memcpy(b.qh, &bits, 4);
    const std::vector<float> y = dequantize(DType::Q5_1, &b, 32);
    EXPECT_EQ(y[3], 12.5f);  // 0.5 * (5 + 16) + 2
    EXPECT_EQ(y[19], 5.5f);  // 0.5 * 7 + 2
}

TEST(NewerBlockFormats, Iq4NlLooksUpItsLevels) {
    BlockIQ4_NL b{};
    b.d = kOne;
    b.qs[0] = 0x0F;
    b.qs[1] = 0x98;
    const std::vector<float> y = dequantize(DType::IQ4_NL, &b, 32);
    EXPECT_EQ(y[0], 113.0f);
    EXPECT_EQ(y[16], -127.0f);
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[17], 13.0f);
}

TEST(NewerBlockFormats, Q2_KCodesScalesAndMins) {
    BlockQ2_K b{};
    b.d = kOne;
    b.dmin = kHalf;
    b.scales[0] = 0x23;  // scale 3, min 2
    b.scales[5] = 0x1F;  // scale 15, min 1
    b.scales[8] = 0x11;
    b.qs[0] = 0x01;   // element 0: code 1
    b.qs[16] = 0x30;  // element 80 (half 0, group 2, l 16): code 3
    b.qs[32] = 0x02;  // element 128: code 2
    const std::vector<float> y = dequantize(DType::Q2_K, &b, 256);
    EXPECT_EQ(y[0], 2.0f);     // 3 * 1 - 0.5 * 2
    EXPECT_EQ(y[80], 44.5f);   // 15 * 3 - 0.5 * 1
    EXPECT_EQ(y[128], 1.5f);   // 1 * 2 - 0.5 * 1
    EXPECT_EQ(y[1], -1.0f);    // code 0
}

TEST(NewerBlockFormats, Q3_KSplitScalesAndHighBitMask) {
    BlockQ3_K b{};
    b.d = kOne;
    b.scales[0] = 0x01;          // sub-block 0: low 4 bits of 33
    b.scales[8] = 0x02;          // ... and its top 2 bits
    b.scales[1] = 0xF0;          // sub-block 9: low 4 bits of 63
    b.scales[9] = 0x03 << 4;     // ... top 2 bits at 2 * (9 / 4)
    b.qs[0] = 0x03;
    b.hmask[0] = 0x01;           // element 0: 3 + 4 - 4
    b.qs[48] = 0x02;
    b.hmask[16] = 0x10;          // element 144 (half 1, l 16): 2 + 4 - 4
    b.qs[32] = 0x40;             // element 224 (half 1, group 3): 1, high bit clear
    const std::vector<float> y = dequantize(DType::Q3_K, &b, 256);
    EXPECT_EQ(y[0], 3.0f);       // scale 33 - 32 = 1
    EXPECT_EQ(y[1], -4.0f);      // code 0, high bit clear
    EXPECT_EQ(y[144], 62.0f);    // scale 31 * 2
    EXPECT_EQ(y[224], 96.0f);    // scale -32 * (1 - 4)
}

TEST(NewerBlockFormats, Q5_KIsQ4_KWithAHighBitPlane) {
    // Scales {1,2,3,4,33,45,62,17}, mins {5,6,7,8,50,9,63,0}: the Q4_K packing.
    constexpr uint8_t kPackedScales[12] = {129, 130, 195, 68, 197, 6, 199, 8, 33, 157, 254, 1};
    BlockQ5_K b{};
    b.d = kOne;
    b.dmin = kOne;
    std::memcpy(b.scales, kPackedScales, 12);
    b.qs[71] = 0xA0;      // element 167 (sub-block 5, l 7): high nibble 10
    b.qh[7] = 1u << 5;    // ... plus 16
    b.qs[7] = 0x03;       // element 7 (sub-block 0): 3, bit 0 of qh[7] clear
    const std::vector<float> y = dequantize(DType::Q5_K, &b, 256);
    EXPECT_EQ(y[167], 45.0f * 26 - 9);
    EXPECT_EQ(y[7], 1.0f * 3 - 5);
    EXPECT_EQ(y[39], 2.0f * 0 - 6);  // sub-block 1, l 7: high nibble of qs[7] is 0
}

TEST(NewerBlockFormats, Iq4XsSplitScales) {
    BlockIQ4_XS b{};
    b.d = kOne;
    b.scales_l[1] = 0x80;  // sub-block 3: low 4 bits of 40
    b.scales_h = 2u << 6;  // ... and its top 2 bits
    b.qs[48] = 0x0F;       // sub-block 3, l 0 (low) and l 16 (high)
    b.qs[0] = 0x08;
    const std::vector<float> y = dequantize(DType::IQ4_XS, &b, 256);
    EXPECT_EQ(y[96], 8.0f * 113);     // (40 - 32) * level 15
    EXPECT_EQ(y[112], 8.0f * -127);   // level 0
    EXPECT_EQ(y[0], -32.0f * 1);      // scale 0 - 32, level 8
}

}  // namespace
}  // namespace clawbot::kernels
