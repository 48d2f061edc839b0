// F32, F16 and BF16 weights against F32 activations with AVX2: widen the
// weights to float and FMA, 8 elements per register. One activation row
// streams the weight rows in order; batches use 2x4 tiles (16 registers).
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx2.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx2 {
namespace {

struct F32Weights {
    static constexpr size_t kElemBytes = 4;
    CLAWBOT_INLINE static __m256 load(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
    CLAWBOT_INLINE static float scalar(const uint8_t* p) { return load_f32(p); }
};

struct F16Weights {
    static constexpr size_t kElemBytes = 2;
    CLAWBOT_INLINE static __m256 load(const uint8_t* p) { return _mm256_cvtph_ps(load_128(p)); }
    CLAWBOT_INLINE static float scalar(const uint8_t* p) { return fp16_to_f32(load_u16(p)); }
};

// bfloat16 is the top half of a float.
struct Bf16Weights {
    static constexpr size_t kElemBytes = 2;
    CLAWBOT_INLINE static __m256 load(const uint8_t* p) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load_128(p)), 16));
    }
    CLAWBOT_INLINE static float scalar(const uint8_t* p) {
        const uint32_t bits = static_cast<uint32_t>(load_u16(p)) << 16;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }
};

// Four accumulators hide the FMA latency on a single row.
template <typename Weights>
CLAWBOT_INLINE float stream_row(int64_t k, const uint8_t* w, const float* a) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
        CLAWBOT_UNROLL
        for (int u = 0; u < 4; ++u) {
            const int64_t e = i + 8 * u;
            acc[u] = _mm256_fmadd_ps(Weights::load(w + e * Weights::kElemBytes), _mm256_loadu_ps(a + e), acc[u]);
        }
    }
    for (; i + 8 <= k; i += 8) {
        acc[0] = _mm256_fmadd_ps(Weights::load(w + i * Weights::kElemBytes), _mm256_loadu_ps(a + i), acc[0]);
    }
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < k; ++i) sum += Weights::scalar(w + i * Weights::kElemBytes) * a[i];
    return sum;
}

template <typename Weights>
struct FloatTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        __m256 acc[R][C];
        CLAWBOT_UNROLL
        for (auto& row : acc) {
            CLAWBOT_UNROLL
            for (__m256& v : row) v = _mm256_setzero_ps();
        }
        auto act = [&](int c) { return reinterpret_cast<const float*>(t.a + c * t.a_stride); };
        int64_t i = 0;
        for (; i + 8 <= t.k; i += 8) {
            __m256 a[C];
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) a[c] = _mm256_loadu_ps(act(c) + i);
            CLAWBOT_UNROLL
            for (int r = 0; r < R; ++r) {
                const __m256 wv = Weights::load(t.w + r * t.w_stride + i * Weights::kElemBytes);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(wv, a[c], acc[r][c]);
            }
        }
        CLAWBOT_UNROLL
        for (int r = 0; r < R; ++r) {
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) {
                float sum = hsum(acc[r][c]);
                for (int64_t e = i; e < t.k; ++e) {
                    sum += Weights::scalar(t.w + r * t.w_stride + e * Weights::kElemBytes) * act(c)[e];
                }
                t.out[c * t.out_stride + r] = sum;
            }
        }
    }
};

template <typename Weights>
void float_gemm(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                int64_t n_cols, float* out, size_t out_stride) {
    if (n_cols == 1) {
        const auto* wb = static_cast<const uint8_t*>(w);
        for (int64_t i = 0; i < n_rows; ++i)
            out[i] = stream_row<Weights>(k, wb + i * w_stride, static_cast<const float*>(a));
        return;
    }
    tiled_gemm<FloatTile<Weights>, 2, 4>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace

void gemm_f32(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, int64_t n_cols,
              float* out, size_t out_stride) {
    float_gemm<F32Weights>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_f16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride, int64_t n_cols,
              float* out, size_t out_stride) {
    float_gemm<F16Weights>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

void gemm_bf16(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
               int64_t n_cols, float* out, size_t out_stride) {
    float_gemm<Bf16Weights>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
}

}  // namespace clawbot::kernels::avx2
