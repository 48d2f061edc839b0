#include "engine/tensor/cpu_features.h"

#include <cpuid.h>

#include <cstdint>

namespace clawbot::kernels {
namespace {

struct CpuidRegs {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(unsigned leaf, unsigned subleaf) {
    CpuidRegs r;
    if (__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) == 0) return CpuidRegs{};
    return r;
}

bool bit(unsigned reg, int n) { return (reg >> n) & 1u; }

// XCR0: which register states the OS saves (bit 1 SSE, 2 AVX, 5-7 AVX-512).
uint64_t read_xcr0() {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

CpuFeatures detect() {
    CpuFeatures f;
    const CpuidRegs l1 = cpuid(1, 0);
    const bool osxsave = bit(l1.ecx, 27);
    if (!osxsave) return f;
    const uint64_t xcr0 = read_xcr0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;
    const bool os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
    const CpuidRegs l7 = cpuid(7, 0);
    const bool fma = bit(l1.ecx, 12), f16c = bit(l1.ecx, 29), avx = bit(l1.ecx, 28);
    const bool avx2 = bit(l7.ebx, 5), bmi2 = bit(l7.ebx, 8);
    f.avx2 = os_ymm && avx && avx2 && fma && f16c && bmi2;
    const bool avx512f = bit(l7.ebx, 16), avx512dq = bit(l7.ebx, 17), avx512bw = bit(l7.ebx, 30),
               avx512vl = bit(l7.ebx, 31), avx512vnni = bit(l7.ecx, 11);
    f.avx512 = f.avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl && avx512vnni;
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

}  // namespace clawbot::kernels
