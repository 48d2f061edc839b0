// Single-thread gemm throughput for every weight type and ISA, and for the
// packed (repacked-at-load) kernels where this CPU has them: GB/s of weights
// streamed and GFLOP/s, for n_cols = 1 (decode of one sequence), 16 and 128
// (batched decode / prefill). The weight matrix is larger than the
// last-level cache so n_cols = 1 measures memory streaming.
//
// Build (from the project root, after building clawbot):
//   g++ -std=c++20 -O2 -Isrc bench/kernels_bench.cpp build/libclawbot_engine.a
//       build/libclawbot_kernels.a build/libclawbot_gguf.a -o kernels_bench -pthread
// Run: ./kernels_bench [weight MiB, default 96] [type ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/model/weight_packing.h"
#include "engine/tensor/dtype.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"

using clawbot::DType;
using clawbot::dtype_from_name;
using clawbot::dtype_name;
using clawbot::row_bytes;
using clawbot::kernels::activation_quantizer;
using clawbot::kernels::detected_isa;
using clawbot::kernels::Isa;
using clawbot::kernels::isa_name;
using clawbot::kernels::kernels_for;
using clawbot::kernels::TypeKernels;

namespace {

constexpr int64_t kK = 4096;         // elements per row (a 7B-class hidden size)
constexpr int64_t kSampleRows = 64;  // rows quantized for real, then repeated

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

double seconds_of_best_run(int repeats, const auto& fn) {
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        best = std::min(best, took.count());
    }
    return best;
}

void bench_type(DType type, size_t weight_mib) {
    const TypeKernels* best = clawbot::kernels::kernels(type);
    const size_t row = row_bytes(type, kK);
    const int64_t n_rows = static_cast<int64_t>(weight_mib * 1024 * 1024 / row) / kSampleRows * kSampleRows;
    std::vector<uint8_t> w(row * static_cast<size_t>(n_rows));
    {
        std::vector<float> sample = random_floats(static_cast<size_t>(kK * kSampleRows), 1);
        for (float& x : sample) x *= 0.02f;
        for (int64_t i = 0; i < kSampleRows; ++i) best->quantize(sample.data() + i * kK, w.data() + i * row, kK);
        for (int64_t i = kSampleRows; i < n_rows; i += kSampleRows) {
            std::memcpy(w.data() + i * row, w.data(), row * kSampleRows);
        }
    }
    constexpr int64_t kMaxCols = 128;
    const size_t a_row = row_bytes(best->activation, kK);
    std::vector<uint8_t> a(a_row * kMaxCols);
    const std::vector<float> af = random_floats(static_cast<size_t>(kK * kMaxCols), 2);
    for (int64_t j = 0; j < kMaxCols; ++j)
        activation_quantizer(best->activation)(af.data() + j * kK, a.data() + j * a_row, kK);
    std::vector<float> out(static_cast<size_t>(n_rows * kMaxCols));

    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        const TypeKernels* k = kernels_for(type, isa);
        if (k == nullptr) continue;
        for (int64_t n_cols : {int64_t{1}, int64_t{16}, int64_t{128}}) {
            // The scalar reference is slow: time it on a slice of the rows.
            int64_t rows = n_rows;
            if (isa == Isa::Scalar) rows = std::min<int64_t>(n_rows, n_cols == 1 ? 4096 : 256);
            if (isa != Isa::Scalar && n_cols == 128) rows = std::min<int64_t>(n_rows, 4096);
            const int repeats = n_cols == 1 && isa != Isa::Scalar ? 10 : 3;
            const double s = seconds_of_best_run(repeats, [&] {
                k->gemm(kK, w.data(), row, rows, a.data(), a_row, n_cols, out.data(), static_cast<size_t>(n_rows));
            });
            const double bytes = static_cast<double>(row) * static_cast<double>(rows);
            const double flops = 2.0 * kK * static_cast<double>(rows) * static_cast<double>(n_cols);
            std::printf("%-5s %-7s n_cols=%-4lld rows=%-6lld %8.2f GB/s weights  %8.2f GFLOP/s  %9.3f ms\n",
                        std::string(dtype_name(type)).c_str(), isa_name(isa), static_cast<long long>(n_cols),
                        static_cast<long long>(rows), bytes / s / 1e9, flops / s / 1e9, s * 1e3);
        }
    }

    const clawbot::kernels::PackedKernels* packed = clawbot::kernels::packed_kernels(type);
    if (packed == nullptr) return;
    const size_t packed_bytes = packed->packed_bytes(n_rows, kK);
    clawbot::PackedBuffer buffer(packed_bytes);
    if (!buffer) return;
    packed->pack(w.data(), row, n_rows, kK, buffer.data());
    std::vector<uint8_t> packed_act = a;
    size_t packed_a_row = a_row;
    if (packed->activation == clawbot::kernels::PackedActivation::Q8_0Sum) {
        packed_a_row = static_cast<size_t>(kK / 32) * sizeof(clawbot::kernels::BlockQ8_0Sum);
        packed_act.assign(packed_a_row * kMaxCols, 0);
        for (int64_t j = 0; j < kMaxCols; ++j) {
            clawbot::kernels::q8_0_to_q8_0_sum(a.data() + j * a_row, packed_act.data() + j * packed_a_row, kK);
        }
    }
    for (int64_t n_cols : {int64_t{1}, int64_t{16}, int64_t{128}}) {
        const int64_t rows = n_cols == 128 ? std::min<int64_t>(n_rows, 4096) : n_rows;
        const double s = seconds_of_best_run(n_cols == 1 ? 10 : 3, [&] {
            packed->gemm(buffer.data(), n_rows, kK, 0, rows, packed_act.data(), packed_a_row, n_cols, out.data(),
                         static_cast<size_t>(n_rows));
        });
        const double bytes = static_cast<double>(packed_bytes) * static_cast<double>(rows) / static_cast<double>(n_rows);
        const double flops = 2.0 * kK * static_cast<double>(rows) * static_cast<double>(n_cols);
        std::printf("%-5s %-7s n_cols=%-4lld rows=%-6lld %8.2f GB/s weights  %8.2f GFLOP/s  %9.3f ms\n",
                    std::string(dtype_name(type)).c_str(), "packed", static_cast<long long>(n_cols),
                    static_cast<long long>(rows), bytes / s / 1e9, flops / s / 1e9, s * 1e3);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const size_t weight_mib = argc > 1 ? static_cast<size_t>(std::atoi(argv[1])) : 96;
    std::vector<DType> types;
    for (int i = 2; i < argc; ++i) {
        if (auto t = dtype_from_name(argv[i])) types.push_back(*t);
    }
    if (types.empty())
        types = {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::F16, DType::BF16, DType::F32};
    std::printf("best ISA: %s, k=%lld, weights ~%zu MiB per type\n", isa_name(detected_isa()),
                static_cast<long long>(kK), weight_mib);
    for (DType t : types) bench_type(t, weight_mib);
    return 0;
}
