#pragma once
// Multiplies activation rows by weight matrices on the thread pool. The
// activations are quantized once per call (per activation type) and shared
// by all matrices that read the same input, e.g. Q, K and V.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/weights.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot {

struct MatmulTarget {
    const Matrix* weight;
    float* out;         // n_tokens rows of weight->rows floats
    size_t out_stride;  // floats between output rows
};

// Targets that read the same input rows.
struct MatmulGroup {
    std::span<const MatmulTarget> targets;
    const float* x;
    size_t x_stride;  // floats between input rows
    int n_tokens;
};

class MatmulRunner {
public:
    // Scratch for up to max_rows input rows (over all groups of a call) of
    // max_cols elements, and max_groups groups; allocated once.
    MatmulRunner(ThreadPool& pool, int max_rows, int64_t max_cols, int max_groups = 1);
    ~MatmulRunner();

    // out_t[j][i] = dot(weight_t row i, x row j) for every target t.
    void run(std::span<const MatmulTarget> targets, const float* x, size_t x_stride, int n_tokens);
    // Several groups, each with its own input, in one pass of the thread
    // pool: a mixture-of-experts layer runs all its experts at once.
    void run_groups(std::span<const MatmulGroup> groups);

    struct GroupJob;

private:
    ThreadPool& pool_;
    std::vector<GroupJob> jobs_;  // one per group of the current call
    std::vector<uint8_t> q8_0_;  // activations quantized for Q8_0-type dots
    std::vector<uint8_t> q8_k_;  // ... for K-quant dots
    std::vector<uint8_t> q8_0_sum_;  // ... for packed Q4_0 / Q8_0 weights
};

}  // namespace clawbot
