// MatmulRunner splits a call over the pool two ways: every matrix in equal
// row shares (many tokens: compute-bound), or all matrices of all groups end
// to end in equal byte shares (a few tokens: memory-bound, as in a decode
// step of a mixture-of-experts layer). Either way every output row must be
// written exactly once, with the answer of one kernel call over the whole
// matrix, for any row count, type mix and thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "engine/model/matmul.h"
#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"
#include "unit/engine/tensor/kernels_test_data.h"

namespace clawbot {
namespace {

struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
};

// One weight matrix: its GGUF rows and, when asked and the CPU has packed
// kernels for the type, its packed copy.
struct TestMatrix {
    std::vector<uint8_t> file;
    std::unique_ptr<uint8_t, FreeDeleter> packed;
    Matrix m;

    TestMatrix(DType type, int64_t rows, int64_t cols, uint32_t seed, bool pack) {
        m.type = type;
        m.rows = rows;
        m.cols = cols;
        m.row_stride = row_bytes(type, cols);
        file = kernels::test::quantize_rows(type, kernels::test::random_floats(static_cast<size_t>(rows * cols), seed, 0.05f),
                                            cols, rows, m.row_stride);
        m.data = file.data();
        m.kernels = kernels::kernels(type);
        const kernels::PackedKernels* pk = kernels::packed_kernels(type);
        if (!pack || !pk) return;
        const size_t bytes = (pk->packed_bytes(rows, cols) + 63) / 64 * 64;
        packed.reset(static_cast<uint8_t*>(std::aligned_alloc(64, bytes)));
        pk->pack(file.data(), m.row_stride, rows, cols, packed.get());
        m.packed = packed.get();
        m.packed_kernels = pk;
    }

    // The answer of one kernel call over every row, n_tokens activations.
    std::vector<float> expected(const std::vector<float>& x, int n_tokens) const {
        std::vector<float> out(static_cast<size_t>(m.rows * n_tokens));
        const DType act = m.packed ? (m.packed_kernels->activation == kernels::PackedActivation::Q8_0Sum ? DType::Q8_0
                                                                                                          : DType::Q8_K)
                                   : m.kernels->activation;
        const size_t stride = row_bytes(act, m.cols);
        std::vector<uint8_t> q = kernels::test::quantize_rows(act, x, m.cols, n_tokens, stride);
        if (m.packed && m.packed_kernels->activation == kernels::PackedActivation::Q8_0Sum) {
            const size_t sum_stride = static_cast<size_t>(m.cols / 32) * sizeof(kernels::BlockQ8_0Sum);
            std::vector<uint8_t> sums(sum_stride * static_cast<size_t>(n_tokens));
            for (int j = 0; j < n_tokens; ++j) kernels::q8_0_to_q8_0_sum(q.data() + j * stride, sums.data() + j * sum_stride, m.cols);
            m.packed_kernels->gemm(m.packed, m.rows, m.cols, 0, m.rows, sums.data(), sum_stride, n_tokens, out.data(),
                                   static_cast<size_t>(m.rows));
        } else if (m.packed) {
            m.packed_kernels->gemm(m.packed, m.rows, m.cols, 0, m.rows, q.data(), stride, n_tokens, out.data(),
                                   static_cast<size_t>(m.rows));
        } else {
            m.kernels->gemm(m.cols, m.data, m.row_stride, m.rows, q.data(), stride, n_tokens, out.data(),
                            static_cast<size_t>(m.rows));
        }
        return out;
    }
};

struct GroupSpec {
    int64_t cols;
    int n_tokens;
    std::vector<std::pair<DType, int64_t>> targets;  // type, rows
};

// Runs the groups through a MatmulRunner on `threads` threads and checks
// every output against one whole-matrix kernel call.
void check(const std::vector<GroupSpec>& specs, int threads, bool pack) {
    std::vector<std::vector<std::unique_ptr<TestMatrix>>> matrices(specs.size());
    std::vector<std::vector<float>> inputs(specs.size());
    std::vector<std::vector<std::vector<float>>> outputs(specs.size());
    std::vector<std::vector<MatmulTarget>> targets(specs.size());
    std::vector<MatmulGroup> groups;
    int total_rows = 0;
    int64_t max_cols = 0;
    uint32_t seed = 11;
    for (size_t g = 0; g < specs.size(); ++g) {
        const GroupSpec& s = specs[g];
        inputs[g] = kernels::test::random_floats(static_cast<size_t>(s.cols * s.n_tokens), seed++);
        for (const auto& [type, rows] : s.targets) {
            matrices[g].push_back(std::make_unique<TestMatrix>(type, rows, s.cols, seed++, pack));
            outputs[g].emplace_back(static_cast<size_t>(rows * s.n_tokens), std::nanf(""));
        }
        for (size_t t = 0; t < s.targets.size(); ++t) {
            targets[g].push_back({&matrices[g][t]->m, outputs[g][t].data(), static_cast<size_t>(s.targets[t].second)});
        }
        groups.push_back({targets[g], inputs[g].data(), static_cast<size_t>(s.cols), s.n_tokens});
        total_rows += s.n_tokens;
        max_cols = std::max(max_cols, s.cols);
    }
    ThreadPool pool(threads);
    MatmulRunner runner(pool, total_rows, max_cols, static_cast<int>(specs.size()));
    runner.run_groups(groups);
    for (size_t g = 0; g < specs.size(); ++g) {
        for (size_t t = 0; t < specs[g].targets.size(); ++t) {
            const std::vector<float> want = matrices[g][t]->expected(inputs[g], specs[g].n_tokens);
            for (size_t i = 0; i < want.size(); ++i) {
                ASSERT_EQ(outputs[g][t][i], want[i])
                    << "group " << g << " target " << t << " element " << i << " threads " << threads
                    << (pack ? " packed" : " mapped");
            }
        }
    }
}

// Row counts off the 16-row grain, types of different bytes per row, and a
// group too small to reach every thread.
std::vector<GroupSpec> experts(int tokens_a, int tokens_b) {
    return {{512, tokens_a, {{DType::Q4_K, 40}, {DType::Q6_K, 72}}},
            {256, tokens_b, {{DType::Q8_0, 24}, {DType::F32, 17}}},
            {512, tokens_a, {{DType::Q4_K, 8}}},
            {256, tokens_b, {{DType::Q4_0, 200}}}};
}

TEST(MatmulRunner, FewTokensSplitAllMatricesByBytesAndCoverEveryRowOnce) {
    for (bool pack : {true, false}) {
        for (int threads : {1, 2, 3, 5}) check(experts(1, 3), threads, pack);
    }
}

TEST(MatmulRunner, ManyTokensSplitEachMatrixAndCoverEveryRowOnce) {
    for (bool pack : {true, false}) {
        for (int threads : {1, 2, 3, 5}) check(experts(1, 7), threads, pack);
    }
}

TEST(MatmulRunner, OneMatrixOneTokenMatchesTheWholeMatrixCall) {
    for (int threads : {1, 2, 3}) check({{1024, 1, {{DType::Q4_K, 1000}}}}, threads, true);
}

}  // namespace
}  // namespace clawbot
