// F32, F16 and BF16 weights against F32 activations: widen the weights to
// float and FMA, 16 elements per register. One activation row streams the
// weight rows one after another; batches use 4x4 tiles.
#include "engine/tensor/gemm_tiling.h"
#include "engine/tensor/simd_avx512.h"
#include "engine/tensor/simd_kernels.h"

namespace clawbot::kernels::avx512 {
namespace {

CLAWBOT_INLINE __mmask16 tail_mask(int64_t left) { return static_cast<__mmask16>((1u << left) - 1u); }

struct F32Weights {
    static constexpr size_t kElemBytes = 4;
    CLAWBOT_INLINE static __m512 load(const uint8_t* p) { return _mm512_loadu_ps(p); }
    CLAWBOT_INLINE static __m512 load_part(const uint8_t* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};

struct F16Weights {
    static constexpr size_t kElemBytes = 2;
    CLAWBOT_INLINE static __m512 load(const uint8_t* p) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    CLAWBOT_INLINE static __m512 load_part(const uint8_t* p, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
    }
};

// bfloat16 is the top half of a float.
struct Bf16Weights {
    static constexpr size_t kElemBytes = 2;
    CLAWBOT_INLINE static __m512 widen(__m256i h) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    CLAWBOT_INLINE static __m512 load(const uint8_t* p) {
        return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    CLAWBOT_INLINE static __m512 load_part(const uint8_t* p, __mmask16 m) {
        return widen(_mm256_maskz_loadu_epi16(m, p));
    }
};

// Four accumulators hide the FMA latency on a single row.
template <typename Weights>
CLAWBOT_INLINE float stream_row(int64_t k, const uint8_t* w, const float* a) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t i = 0;
    for (; i + 64 <= k; i += 64) {
        CLAWBOT_UNROLL
        for (int u = 0; u < 4; ++u) {
            const int64_t e = i + 16 * u;
            acc[u] = _mm512_fmadd_ps(Weights::load(w + e * Weights::kElemBytes), _mm512_loadu_ps(a + e), acc[u]);
        }
    }
    for (; i + 16 <= k; i += 16) {
        acc[0] = _mm512_fmadd_ps(Weights::load(w + i * Weights::kElemBytes), _mm512_loadu_ps(a + i), acc[0]);
    }
    if (i < k) {
        const __mmask16 m = tail_mask(k - i);
        acc[1] = _mm512_fmadd_ps(Weights::load_part(w + i * Weights::kElemBytes, m), _mm512_maskz_loadu_ps(m, a + i),
                                 acc[1]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

template <typename Weights>
struct FloatTile {
    template <int R, int C>
    static void run(const TileArgs& t) {
        __m512 acc[R][C];
        CLAWBOT_UNROLL
        for (auto& row : acc) {
            CLAWBOT_UNROLL
            for (__m512& v : row) v = _mm512_setzero_ps();
        }
        auto act = [&](int c) { return reinterpret_cast<const float*>(t.a + c * t.a_stride); };
        int64_t i = 0;
        for (; i + 16 <= t.k; i += 16) {
            __m512 a[C];
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) a[c] = _mm512_loadu_ps(act(c) + i);
            CLAWBOT_UNROLL
            for (int r = 0; r < R; ++r) {
                const uint8_t* w = t.w + r * t.w_stride + i * Weights::kElemBytes;
                _mm_prefetch(reinterpret_cast<const char*>(w + R * t.w_stride), _MM_HINT_T0);
                const __m512 wv = Weights::load(w);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(wv, a[c], acc[r][c]);
            }
        }
        if (i < t.k) {
            const __mmask16 m = tail_mask(t.k - i);
            __m512 a[C];
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) a[c] = _mm512_maskz_loadu_ps(m, act(c) + i);
            CLAWBOT_UNROLL
            for (int r = 0; r < R; ++r) {
                const __m512 wv = Weights::load_part(t.w + r * t.w_stride + i * Weights::kElemBytes, m);
                CLAWBOT_UNROLL
                for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(wv, a[c], acc[r][c]);
            }
        }
        CLAWBOT_UNROLL
        for (int r = 0; r < R; ++r) {
            CLAWBOT_UNROLL
            for (int c = 0; c < C; ++c) t.out[c * t.out_stride + r] = _mm512_reduce_add_ps(acc[r][c]);
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
    tiled_gemm<FloatTile<Weights>, 4, 6>(k, w, w_stride, n_rows, a, a_stride, n_cols, out, out_stride);
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

}  // namespace clawbot::kernels::avx512
