#include "engine/model/weight_packing.h"

#include <sys/mman.h>

#include <chrono>
#include <utility>

#include "engine/model/weights.h"

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

namespace {

void pack_matrix(Matrix& m, const gguf::GgufFile& file, std::vector<PackedBuffer>& storage, PackingReport& report,
                 bool release_source) {
    const kernels::PackedKernels* k = kernels::packed_kernels(m.type);
    if (!k || m.packed) return;
    const size_t bytes = k->packed_bytes(m.rows, m.cols);
    PackedBuffer buffer(bytes);
    if (!buffer) return;
    k->pack(m.data, m.row_stride, m.rows, m.cols, buffer.data());
    m.packed_kernels = k;
    m.packed = buffer.data();
    storage.push_back(std::move(buffer));
    if (release_source) file.release_pages(m.data, m.row_stride * static_cast<size_t>(m.rows));
    ++report.matrices;
    report.bytes += bytes;
}

}  // namespace

PackingReport pack_weights(ModelWeights& w, const gguf::GgufFile& file) {
    const auto start = std::chrono::steady_clock::now();
    PackingReport report;
    for (LayerWeights& layer : w.layers) {
        for (Matrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down}) {
            pack_matrix(*m, file, w.packed_storage, report, true);
        }
    }
    // A tied output matrix is the token embedding, whose rows embedding
    // lookups keep reading from the file: pack it but keep its pages.
    const bool tied = w.output.data == w.token_embedding.data;
    pack_matrix(w.output, file, w.packed_storage, report, !tied);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace clawbot
