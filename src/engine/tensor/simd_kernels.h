#pragma once
// Entry points of the SIMD kernel files, one namespace per ISA. Callable only
// after kernels.cpp has checked that the CPU and OS support that ISA.
#include <cstddef>
#include <cstdint>

#define CLAWBOT_DECLARE_SIMD_KERNELS                                                                          \
    void gemm_f32(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,  \
                  int64_t n_cols, float* out, size_t out_stride);                                             \
    void gemm_f16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,  \
                  int64_t n_cols, float* out, size_t out_stride);                                             \
    void gemm_bf16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                   int64_t n_cols, float* out, size_t out_stride);                                            \
    void gemm_q8_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                   int64_t n_cols, float* out, size_t out_stride);                                            \
    void gemm_q4_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                   int64_t n_cols, float* out, size_t out_stride);                                            \
    void gemm_q4_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                   int64_t n_cols, float* out, size_t out_stride);                                            \
    void gemm_q6_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, \
                   int64_t n_cols, float* out, size_t out_stride);                                            \
    void quantize_q8_0(const float* src, void* dst, int64_t n);                                               \
    void quantize_q8_k(const float* src, void* dst, int64_t n);                                               \
    float dot_f32_f16(const float* x, const uint16_t* y, int64_t n);                                          \
    void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);                                           \
    void f32_to_f16_row(const float* x, uint16_t* y, int64_t n);

namespace clawbot::kernels::avx512 {
CLAWBOT_DECLARE_SIMD_KERNELS
}  // namespace clawbot::kernels::avx512

namespace clawbot::kernels::avx2 {
CLAWBOT_DECLARE_SIMD_KERNELS
// The newer types (issue 12) have unpacked kernels in AVX2 only: AVX-512
// hosts run them packed, or through these when REPACK_WEIGHTS=0.
void gemm_q4_1(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_q5_0(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_q5_1(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_q5_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_q3_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_q2_k(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride);
void gemm_iq4_xs(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                 int64_t n_cols, float* out, size_t out_stride);
void gemm_iq4_nl(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                 int64_t n_cols, float* out, size_t out_stride);
}  // namespace clawbot::kernels::avx2

#undef CLAWBOT_DECLARE_SIMD_KERNELS
