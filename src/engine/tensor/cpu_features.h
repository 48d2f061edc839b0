#pragma once
// What the CPU and the OS together allow: an instruction set counts only if
// the OS also saves its registers on context switches (XGETBV).
namespace clawbot::kernels {

struct CpuFeatures {
    bool avx2 = false;    // with FMA, F16C and BMI2, as the *_avx2.cpp files are built
    bool avx512 = false;  // F, BW, VL, DQ and VNNI, as the *_avx512.cpp files are built
};

const CpuFeatures& cpu_features();

}  // namespace clawbot::kernels
