#pragma once
// Walks a gemm in tiles of up to MaxRows weight rows x MaxCols activation
// rows. Each tile kernel streams its weight rows once and applies every
// weight block to all of the tile's activation rows, so a batch costs
// little more weight traffic than a single row. Row tiles are the outer
// loop: the weights (large) come from memory once, the activations (small)
// are re-read from cache for every row tile.
//
// A Tile provides `template <int R, int C> static void run(const TileArgs&)`
// for 1 <= R <= MaxRows, 1 <= C <= MaxCols. Only templates live here, so each
// SIMD translation unit instantiates its own copy with its own ISA flags.
#include <cstddef>
#include <cstdint>

namespace clawbot::kernels {

struct TileArgs {
    int64_t k;         // elements per row
    const uint8_t* w;  // first weight row of the tile
    size_t w_stride;   // bytes between weight rows
    const uint8_t* a;  // first activation row of the tile
    size_t a_stride;   // bytes between activation rows
    float* out;        // out[c * out_stride + r] for the tile's (r, c)
    size_t out_stride;
};

namespace tiling {

using TileFn = void (*)(const TileArgs&);

template <typename Tile, int R, int C>
void call_tile(const TileArgs& args) {
    Tile::template run<R, C>(args);
}

// The instantiation for an (r, c) edge tile, r <= R and c <= C.
template <typename Tile, int R, int C>
TileFn pick_tile(int r, int c) {
    if constexpr (R > 1) {
        if (r < R) return pick_tile<Tile, R - 1, C>(r, c);
    }
    if constexpr (C > 1) {
        if (c < C) return pick_tile<Tile, R, C - 1>(r, c);
    }
    return &call_tile<Tile, R, C>;
}

}  // namespace tiling

// Activation bytes one pass over the weight rows works on. Every row tile
// re-reads them, so they must stay in cache; the weights come from memory
// once per pass. Measured on a 2-core Zen 4 (1 MiB L2, 32 MiB L3) with the
// TinyLlama shape, 128-token prefill, F32 weights: 256 KiB (L2-sized)
// re-read ffn_down 16 times and gave 46 tok/s; 4 MiB (one pass, activations
// served from L3) gave 54-56 tok/s. Quantized types barely change (their
// activations are 8-bit, a quarter of the bytes).
constexpr size_t kActivationPassBytes = 4096 * 1024;

template <typename Tile, int MaxRows, int MaxCols>
void tiled_gemm(int64_t k, const void* w, size_t w_stride, int64_t n_rows, const void* a, size_t a_stride,
                int64_t n_cols, float* out, size_t out_stride) {
    const auto* w_bytes = static_cast<const uint8_t*>(w);
    const auto* a_bytes = static_cast<const uint8_t*>(a);
    const int64_t fitting = static_cast<int64_t>(kActivationPassBytes / (a_stride > 0 ? a_stride : 1));
    const int64_t pass_cols = fitting > MaxCols ? fitting / MaxCols * MaxCols : MaxCols;
    for (int64_t first = 0; first < n_cols; first += pass_cols) {
        const int64_t last = n_cols - first < pass_cols ? n_cols : first + pass_cols;
        for (int64_t i = 0; i < n_rows; i += MaxRows) {
            const int r = n_rows - i < MaxRows ? static_cast<int>(n_rows - i) : MaxRows;
            for (int64_t j = first; j < last; j += MaxCols) {
                const int c = last - j < MaxCols ? static_cast<int>(last - j) : MaxCols;
                const TileArgs args{k,         w_bytes + static_cast<size_t>(i) * w_stride,
                                    w_stride,  a_bytes + static_cast<size_t>(j) * a_stride,
                                    a_stride,  out + static_cast<size_t>(j) * out_stride + static_cast<size_t>(i),
                                    out_stride};
                if (r == MaxRows && c == MaxCols) {
                    Tile::template run<MaxRows, MaxCols>(args);
                } else {
                    tiling::pick_tile<Tile, MaxRows, MaxCols>(r, c)(args);
                }
            }
        }
    }
}

}  // namespace clawbot::kernels
