#include "engine/model/weight_packing.h"

#include <sys/mman.h>
#include <unistd.h>

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
    // Start on a 2 MiB boundary so that every whole 2 MiB of the buffer can
    // be one transparent huge page: map 2 MiB more, then trim both ends.
    constexpr size_t kHuge = size_t{2} << 20;
    void* p = ::mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    const auto start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
    if (aligned > start) ::munmap(p, aligned - start);
    const uintptr_t end = aligned + bytes;
    const uintptr_t mapped_end = start + bytes + kHuge;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t tail = (end + page - 1) / page * page;
    if (mapped_end > tail) ::munmap(reinterpret_cast<void*>(tail), mapped_end - tail);
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint; refused without THP
    data_ = reinterpret_cast<uint8_t*>(aligned);
    bytes_ = tail - aligned;
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
    size_t offset = 0;  // in the arena
    size_t bytes = 0;
};

void pack_matrix(const PackJob& job, uint8_t* arena, const gguf::GgufFile& file) {
    const Matrix& m = *job.matrix;
    kernels::packed_kernels(m.type)->pack(m.data, m.row_stride, m.rows, m.cols, arena + job.offset);
    if (job.release_source) file.release_pages(m.data, m.row_stride * static_cast<size_t>(m.rows));
}

}  // namespace

PackingReport pack_weights(ModelWeights& w, const gguf::GgufFile& file) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<PackJob> jobs;
    auto add = [&](Matrix& m, bool release_source) {
        if (kernels::packed_kernels(m.type) && !m.packed) jobs.push_back({&m, release_source});
    };
    for (LayerWeights& layer : w.layers) for_each_matrix(layer, [&](Matrix& m) { add(m, true); });
    // A tied output matrix is the token embedding, whose rows embedding
    // lookups keep reading from the file: pack it but keep its pages.
    add(w.output, w.output.data != w.token_embedding.data);

    // All packed matrices in one arena, each contiguous and 64-byte aligned:
    // decode streams every byte once per token, and one huge-page mapping
    // spares it a TLB miss every 4 KiB (per-matrix mappings left the small
    // matrices and every matrix's ends on 4 KiB pages).
    size_t total = 0;
    for (PackJob& job : jobs) {
        job.offset = total;
        job.bytes = kernels::packed_kernels(job.matrix->type)->packed_bytes(job.matrix->rows, job.matrix->cols);
        total += (job.bytes + 63) / 64 * 64;
    }
    PackingReport report;
    PackedBuffer arena(total);
    if (!arena) {  // no memory for the copies: every matrix stays on the file
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return report;
    }

    // One pass over the weights, split over the cores (a load-time cost:
    // threads are made once here, never per token).
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < jobs.size(); i = next++) pack_matrix(jobs[i], arena.data(), file);
    };
    const int n_threads = std::clamp(physical_core_count(), 1, 8);
    std::vector<std::thread> threads;
    for (int t = 1; t < n_threads && static_cast<size_t>(t) < jobs.size(); ++t) threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads) t.join();

    for (const PackJob& job : jobs) {
        job.matrix->packed_kernels = kernels::packed_kernels(job.matrix->type);
        job.matrix->packed = arena.data() + job.offset;
        report.bytes += job.bytes;
        ++report.matrices;
    }
    w.packed_storage.push_back(std::move(arena));
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace clawbot
