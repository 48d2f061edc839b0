#include "engine/model/matmul.h"

#include <algorithm>

#include "engine/tensor/kernels.h"
#include "engine/tensor/packed_kernels.h"

namespace clawbot {
namespace matmul_detail {

enum class Activation { F32, Q8_0, Q8_K, Q8_0Sum, Count };

struct ActivationRows {
    const void* data = nullptr;
    size_t stride = 0;  // bytes
};

}  // namespace matmul_detail

using matmul_detail::Activation;
using matmul_detail::ActivationRows;

namespace {

// Rows per unit of work: keeps each thread's slice a multiple of the
// kernels' row tile and of the packed layout's row groups.
constexpr int64_t kRowGrain = 16;
static_assert(kRowGrain % kernels::kPackRows == 0);

Activation activation_of(const Matrix& w) {
    if (w.packed) {
        return w.packed_kernels->activation == kernels::PackedActivation::Q8_0Sum ? Activation::Q8_0Sum
                                                                                  : Activation::Q8_K;
    }
    switch (w.kernels->activation) {
        case DType::Q8_0: return Activation::Q8_0;
        case DType::Q8_K: return Activation::Q8_K;
        default: return Activation::F32;
    }
}

}  // namespace

struct MatmulRunner::GroupJob {
    std::span<const MatmulTarget> targets;
    ActivationRows act[static_cast<int>(Activation::Count)];
    int n_tokens;
};

namespace {

// A call whose groups all have this few tokens reads weights far slower
// than it multiplies them: its split balances bytes, not rows per matrix.
constexpr int kMemoryBoundTokens = 4;

int64_t unit_bytes(const Matrix& w) { return static_cast<int64_t>(row_bytes(w.type, w.cols)) * kRowGrain; }
int64_t units_of(const Matrix& w) { return (w.rows + kRowGrain - 1) / kRowGrain; }
// A matrix's length in the byte split: whole units, a ragged last one too.
int64_t split_bytes(const Matrix& w) { return unit_bytes(w) * units_of(w); }

void run_rows(const MatmulRunner::GroupJob& job, const MatmulTarget& t, int64_t first, int64_t last) {
    const Matrix& w = *t.weight;
    const ActivationRows& a = job.act[static_cast<int>(activation_of(w))];
    if (w.packed) {
        w.packed_kernels->gemm(w.packed, w.rows, w.cols, first, last, a.data, a.stride, job.n_tokens, t.out,
                               t.out_stride);
    } else {
        w.kernels->gemm(w.cols, w.data + static_cast<size_t>(first) * w.row_stride, w.row_stride, last - first,
                        a.data, a.stride, job.n_tokens, t.out + first, t.out_stride);
    }
}

// Compute-bound split: every thread takes its share of every matrix.
void run_slice(const MatmulRunner::GroupJob& job, int thread, int n_threads) {
    for (const MatmulTarget& t : job.targets) {
        const int64_t units = units_of(*t.weight);
        const int64_t first = units * thread / n_threads * kRowGrain;
        const int64_t last = std::min(t.weight->rows, units * (thread + 1) / n_threads * kRowGrain);
        if (first < last) run_rows(job, t, first, last);
    }
}

// Where a split point `at` (bytes into the concatenation of every target's
// rows) falls in a target that starts `before` bytes in: a unit index, the
// same for the thread that ends there and the one that starts there.
int64_t unit_at(int64_t at, int64_t before, int64_t unit, int64_t units) {
    if (at <= before) return 0;
    return std::min(units, (at - before + unit - 1) / unit);
}

// Memory-bound split: every target's rows laid end to end and cut into
// equal byte ranges, one per thread. A decode step of a mixture-of-experts
// layer then streams a few whole expert matrices per thread instead of a
// half of every one: fewer, longer streams for the prefetchers.
void run_flat_slice(const MatmulRunner::GroupJob* jobs, size_t n_groups, int64_t total, int thread, int n_threads) {
    const int64_t lo = total * thread / n_threads;
    const int64_t hi = total * (thread + 1) / n_threads;
    int64_t before = 0;
    for (size_t g = 0; g < n_groups && before < hi; ++g) {
        const MatmulRunner::GroupJob& job = jobs[g];
        for (const MatmulTarget& t : job.targets) {
            const Matrix& w = *t.weight;
            const int64_t unit = unit_bytes(w), units = units_of(w);
            const int64_t first = unit_at(lo, before, unit, units) * kRowGrain;
            const int64_t last = std::min(w.rows, unit_at(hi, before, unit, units) * kRowGrain);
            before += split_bytes(w);
            if (first < last) run_rows(job, t, first, last);
            if (before >= hi) break;
        }
    }
}

int64_t padded(int64_t cols) { return (cols + 255) / 256 * 256; }

}  // namespace

MatmulRunner::MatmulRunner(ThreadPool& pool, int max_rows, int64_t max_cols, int max_groups)
    : pool_(pool),
      q8_0_(static_cast<size_t>(max_rows) * row_bytes(DType::Q8_0, padded(max_cols))),
      q8_k_(static_cast<size_t>(max_rows) * row_bytes(DType::Q8_K, padded(max_cols))),
      q8_0_sum_(static_cast<size_t>(max_rows) * static_cast<size_t>(padded(max_cols) / 32) *
                sizeof(kernels::BlockQ8_0Sum)) {
    jobs_.resize(static_cast<size_t>(max_groups));
}

MatmulRunner::~MatmulRunner() = default;

void MatmulRunner::run(std::span<const MatmulTarget> targets, const float* x, size_t x_stride, int n_tokens) {
    const MatmulGroup group{targets, x, x_stride, n_tokens};
    run_groups({&group, 1});
}

void MatmulRunner::run_groups(std::span<const MatmulGroup> groups) {
    // Each group's input, quantized once into the scratch after the
    // previous group's rows.
    size_t q8_0_at = 0, q8_k_at = 0, q8_0_sum_at = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
        const MatmulGroup& in = groups[g];
        GroupJob& job = jobs_[g];
        const int64_t cols = in.targets.front().weight->cols;
        bool need[static_cast<int>(Activation::Count)] = {};
        for (const MatmulTarget& t : in.targets) need[static_cast<int>(activation_of(*t.weight))] = true;
        job = GroupJob{in.targets, {}, in.n_tokens};
        job.act[static_cast<int>(Activation::F32)] = {in.x, in.x_stride * sizeof(float)};
        const bool need_q8_0_sum = need[static_cast<int>(Activation::Q8_0Sum)];
        if (need[static_cast<int>(Activation::Q8_0)] || need_q8_0_sum) {
            const size_t stride = row_bytes(DType::Q8_0, cols);
            uint8_t* q8_0 = q8_0_.data() + q8_0_at;
            q8_0_at += stride * static_cast<size_t>(in.n_tokens);
            const auto quantize = kernels::activation_quantizer(DType::Q8_0);
            for (int j = 0; j < in.n_tokens; ++j) quantize(in.x + static_cast<size_t>(j) * in.x_stride, q8_0 + j * stride, cols);
            job.act[static_cast<int>(Activation::Q8_0)] = {q8_0, stride};
            if (need_q8_0_sum) {
                const size_t sum_stride = static_cast<size_t>(cols / 32) * sizeof(kernels::BlockQ8_0Sum);
                uint8_t* sums = q8_0_sum_.data() + q8_0_sum_at;
                q8_0_sum_at += sum_stride * static_cast<size_t>(in.n_tokens);
                for (int j = 0; j < in.n_tokens; ++j) kernels::q8_0_to_q8_0_sum(q8_0 + j * stride, sums + j * sum_stride, cols);
                job.act[static_cast<int>(Activation::Q8_0Sum)] = {sums, sum_stride};
            }
        }
        if (need[static_cast<int>(Activation::Q8_K)]) {
            const size_t stride = row_bytes(DType::Q8_K, cols);
            uint8_t* q8_k = q8_k_.data() + q8_k_at;
            q8_k_at += stride * static_cast<size_t>(in.n_tokens);
            const auto quantize = kernels::activation_quantizer(DType::Q8_K);
            for (int j = 0; j < in.n_tokens; ++j) quantize(in.x + static_cast<size_t>(j) * in.x_stride, q8_k + j * stride, cols);
            job.act[static_cast<int>(Activation::Q8_K)] = {q8_k, stride};
        }
    }
    const GroupJob* jobs = jobs_.data();
    const size_t n_groups = groups.size();
    bool memory_bound = true;
    int64_t total = 0;
    for (const MatmulGroup& g : groups) {
        memory_bound = memory_bound && g.n_tokens <= kMemoryBoundTokens;
        for (const MatmulTarget& t : g.targets) total += split_bytes(*t.weight);
    }
    if (memory_bound) {
        pool_.run([jobs, n_groups, total](int thread, int n_threads) {
            run_flat_slice(jobs, n_groups, total, thread, n_threads);
        });
        return;
    }
    pool_.run([jobs, n_groups](int thread, int n_threads) {
        for (size_t g = 0; g < n_groups; ++g) run_slice(jobs[g], thread, n_threads);
    });
}

}  // namespace clawbot
