#pragma once
// Repacks a model's matrices at load into the layout of the packed kernels
// (tensor/packed_kernels.h): each matrix contiguous, all in one huge-page
// arena, filled in one pass over the weights. The GGUF mapping is never written; the pages of a packed
// matrix's source are handed back to the page cache (madvise), so resident
// memory stays about the size of the file instead of doubling.
#include <cstddef>
#include <cstdint>

#include "engine/gguf/gguf_file.h"

namespace clawbot {

struct ModelWeights;

// Anonymous memory for packed matrices, starting on a 2 MiB boundary with
// transparent huge pages requested (decode streams it once per token, and a
// TLB miss per 4 KiB page shows). Move-only.
class PackedBuffer {
public:
    explicit PackedBuffer(size_t bytes);
    ~PackedBuffer();
    PackedBuffer(PackedBuffer&& other) noexcept;
    PackedBuffer& operator=(PackedBuffer&& other) noexcept;
    PackedBuffer(const PackedBuffer&) = delete;
    PackedBuffer& operator=(const PackedBuffer&) = delete;

    uint8_t* data() const { return data_; }
    explicit operator bool() const { return data_ != nullptr; }

private:
    uint8_t* data_ = nullptr;
    size_t bytes_ = 0;
};

struct PackingReport {
    int matrices = 0;          // matrices now served from packed copies
    size_t bytes = 0;          // bytes of those copies
    double seconds = 0.0;      // wall time spent packing
};

// Packs every matrix whose type has packed kernels on this CPU. If the
// arena cannot be allocated, every matrix stays on the mapped file (still
// correct, only slower). Returns what was done, for the load log.
PackingReport pack_weights(ModelWeights& weights, const gguf::GgufFile& file);

}  // namespace clawbot
