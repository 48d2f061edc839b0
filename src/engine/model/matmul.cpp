#include "engine/model/matmul.h"

#include <algorithm>

#include "engine/tensor/kernels.h"

namespace clawbot {
namespace {

// Rows per unit of work: keeps each thread's slice a multiple of the
// kernels' row tile.
constexpr int64_t kRowGrain = 16;

struct Job {
    std::span<const MatmulTarget> targets;
    const void* act_f32;
    size_t act_f32_stride;
    const void* act_q8_0;
    const void* act_q8_k;
    size_t q8_0_stride;
    size_t q8_k_stride;
    int n_tokens;
};

void run_slice(const Job& job, int thread, int n_threads) {
    for (const MatmulTarget& t : job.targets) {
        const Matrix& w = *t.weight;
        const kernels::TypeKernels* k = kernels::kernels(w.type);
        const int64_t units = (w.rows + kRowGrain - 1) / kRowGrain;
        const int64_t first = units * thread / n_threads * kRowGrain;
        const int64_t last = std::min(w.rows, units * (thread + 1) / n_threads * kRowGrain);
        if (first >= last) continue;
        const void* act = job.act_f32;
        size_t act_stride = job.act_f32_stride;
        if (k->activation == DType::Q8_0) {
            act = job.act_q8_0;
            act_stride = job.q8_0_stride;
        } else if (k->activation == DType::Q8_K) {
            act = job.act_q8_k;
            act_stride = job.q8_k_stride;
        }
        k->gemm(w.cols, w.data + static_cast<size_t>(first) * w.row_stride, w.row_stride, last - first, act,
                act_stride, job.n_tokens, t.out + first, t.out_stride);
    }
}

}  // namespace

MatmulRunner::MatmulRunner(ThreadPool& pool, int max_tokens, int64_t max_cols)
    : pool_(pool),
      q8_0_(static_cast<size_t>(max_tokens) * row_bytes(DType::Q8_0, (max_cols + 255) / 256 * 256)),
      q8_k_(static_cast<size_t>(max_tokens) * row_bytes(DType::Q8_K, (max_cols + 255) / 256 * 256)) {}

void MatmulRunner::run(std::span<const MatmulTarget> targets, const float* x, size_t x_stride, int n_tokens) {
    const int64_t cols = targets.front().weight->cols;
    bool need_q8_0 = false, need_q8_k = false;
    for (const MatmulTarget& t : targets) {
        const DType act = kernels::kernels(t.weight->type)->activation;
        need_q8_0 |= act == DType::Q8_0;
        need_q8_k |= act == DType::Q8_K;
    }
    Job job{targets, x, x_stride * sizeof(float), q8_0_.data(), q8_k_.data(), 0, 0, n_tokens};
    if (need_q8_0) {
        job.q8_0_stride = row_bytes(DType::Q8_0, cols);
        const auto quantize = kernels::activation_quantizer(DType::Q8_0);
        for (int j = 0; j < n_tokens; ++j) quantize(x + static_cast<size_t>(j) * x_stride, q8_0_.data() + j * job.q8_0_stride, cols);
    }
    if (need_q8_k) {
        job.q8_k_stride = row_bytes(DType::Q8_K, cols);
        const auto quantize = kernels::activation_quantizer(DType::Q8_K);
        for (int j = 0; j < n_tokens; ++j) quantize(x + static_cast<size_t>(j) * x_stride, q8_k_.data() + j * job.q8_k_stride, cols);
    }
    const Job* job_ptr = &job;
    pool_.run([job_ptr](int thread, int n_threads) { run_slice(*job_ptr, thread, n_threads); });
}

}  // namespace clawbot
