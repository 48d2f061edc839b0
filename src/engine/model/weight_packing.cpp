#include "engine/model/weight_packing.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "engine/model/weights.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot {

PackedBuffer::PackedBuffer(size_t bytes) {
    if (bytes == 0) return;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint; refused on kernels without THP
    data_ = static_cast<uint8_t*>(p);
    bytes_ = bytes;
}

PackedBuffer::~PackedBuffer() {
    if (data_) ::munmap(data_, bytes_);
}

PackedBuffer::PackedBuffer(PackedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PackedBuffer& PackedBuffer::operator=(PackedBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
    return *this;
}

namespace {

struct PackJob {
    Matrix* matrix;
    bool release_source;
    PackedBuffer buffer{0};
};

void pack_matrix(PackJob& job, const gguf::GgufFile& file) {
    Matrix& m = *job.matrix;
    const kernels::PackedKernels* k = kernels::packed_kernels(m.type);
    PackedBuffer buffer(k->packed_bytes(m.rows, m.cols));
    if (!buffer) return;  // no memory for the copy: this matrix stays on the file
    k->pack(m.data, m.row_stride, m.rows, m.cols, buffer.data());
    if (job.release_source) file.release_pages(m.data, m.row_stride * static_cast<size_t>(m.rows));
    job.buffer = std::move(buffer);
}

}  // namespace

PackingReport pack_weights(ModelWeights& w, const gguf::GgufFile& file) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<PackJob> jobs;
    auto add = [&](Matrix& m, bool release_source) {
        if (kernels::packed_kernels(m.type) && !m.packed) jobs.push_back({&m, release_source});
    };
    for (LayerWeights& layer : w.layers) {
        for (Matrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down}) add(*m, true);
    }
    // A tied output matrix is the token embedding, whose rows embedding
    // lookups keep reading from the file: pack it but keep its pages.
    add(w.output, w.output.data != w.token_embedding.data);

    // One pass over the weights, split over the cores (a load-time cost:
    // threads are made once here, never per token).
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < jobs.size(); i = next++) pack_matrix(jobs[i], file);
    };
    const int n_threads = std::clamp(physical_core_count(), 1, 8);
    std::vector<std::thread> threads;
    for (int t = 1; t < n_threads && static_cast<size_t>(t) < jobs.size(); ++t) threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads) t.join();

    PackingReport report;
    for (PackJob& job : jobs) {
        if (!job.buffer) continue;
        job.matrix->packed_kernels = kernels::packed_kernels(job.matrix->type);
        job.matrix->packed = job.buffer.data();
        report.bytes += job.matrix->packed_kernels->packed_bytes(job.matrix->rows, job.matrix->cols);
        ++report.matrices;
        w.packed_storage.push_back(std::move(job.buffer));
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace clawbot
