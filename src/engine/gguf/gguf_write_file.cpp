// GgufWriter::write: lays out header, metadata, tensor infos and aligned
// tensor data, and writes them to a temporary file renamed into place, so a
// reader never sees a half-written model.
#include <atomic>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <unordered_set>

#include <fcntl.h>
#include <unistd.h>

#include "engine/gguf/gguf_encode.h"
#include "engine/gguf/gguf_format.h"
#include "engine/gguf/gguf_writer.h"

namespace clawbot::gguf {
namespace {

constexpr size_t kMinArrayPayload = 4 + 8;  // element type and count
// llama.cpp keeps tensor names in 64-byte buffers (GGML_MAX_NAME, NUL
// included) and refuses files with longer ones.
constexpr size_t kMaxTensorNameBytes = 64;

uint64_t align_up(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

std::string os_error(const std::string& what, const std::string& path, int err) {
    return "cannot " + what + " '" + path + "': " + std::generic_category().message(err);
}

// A temporary file beside the target; removed unless commit() renamed it.
class TempFile {
public:
    explicit TempFile(const std::string& target) : target_(target) {
        static std::atomic<uint64_t> counter{0};
        path_ = target + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ < 0) error_ = os_error("create", path_, errno);
        created_ = fd_ >= 0;
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (created_ && !committed_) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    bool write(const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        while (n > 0 && error_.empty()) {
            const ssize_t done = ::write(fd_, p, n);
            if (done < 0 && errno == EINTR) continue;
            if (done <= 0) {
                error_ = os_error("write", path_, done < 0 ? errno : EIO);
                break;
            }
            p += done;
            n -= static_cast<size_t>(done);
        }
        return error_.empty();
    }

    bool write_zeros(size_t n) {
        static const uint8_t kZeros[256] = {};
        while (n > 0 && error_.empty()) {
            const size_t chunk = n < sizeof(kZeros) ? n : sizeof(kZeros);
            write(kZeros, chunk);
            n -= chunk;
        }
        return error_.empty();
    }

    // Flushes, closes and renames onto the target.
    bool commit() {
        if (!error_.empty()) return false;
        if (::fsync(fd_) != 0) return fail(os_error("sync", path_, errno));
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) return fail(os_error("close", path_, errno));
        if (::rename(path_.c_str(), target_.c_str()) != 0) return fail(os_error("rename into", target_, errno));
        committed_ = true;
        return true;
    }

    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

private:
    std::string target_;
    std::string path_;
    int fd_ = -1;
    bool created_ = false;  // only a file this writer created is ever removed
    bool committed_ = false;
    std::string error_;
};

// The helpers below take the writer's private Entry / Tensor lists by
// deduced type.

// Sizes of the tensors, or why one cannot be written.
template <class Tensors>
Result<std::vector<uint64_t>> tensor_sizes(const Tensors& tensors) {
    std::vector<uint64_t> sizes;
    std::unordered_set<std::string_view> names;
    for (const auto& t : tensors) {
        const std::optional<uint64_t> bytes = tensor_bytes(t.type, t.ne);
        if (!bytes) return make_error("tensor '" + t.name + "' has an invalid type or shape");
        if (!t.fill) {
            return make_error("tensor '" + t.name + "' has no data of the expected " + std::to_string(*bytes) +
                              " bytes (buffer size mismatch or empty fill)");
        }
        if (!names.insert(t.name).second) return make_error("duplicate tensor name '" + t.name + "'");
        if (t.name.size() >= kMaxTensorNameBytes) {
            return make_error("tensor name '" + t.name + "' is longer than llama.cpp accepts (" +
                              std::to_string(kMaxTensorNameBytes - 1) + " bytes)");
        }
        sizes.push_back(*bytes);
    }
    return sizes;
}

// Header, metadata and tensor infos, unpadded. general.alignment always
// states the alignment actually used.
template <class Entries, class Tensors>
Result<std::vector<uint8_t>> encode_head(const Entries& entries, const Tensors& tensors,
                                         const std::vector<uint64_t>& sizes, uint32_t alignment) {
    bool has_alignment_key = false;
    for (const auto& e : entries) {
        if (e.type == ValueType::ARRAY && e.payload.size() < kMinArrayPayload) {
            return make_error("cannot write metadata '" + e.key + "': nested arrays cannot be copied");
        }
        has_alignment_key = has_alignment_key || e.key == "general.alignment";
    }
    const bool add_alignment_key = !has_alignment_key && alignment != kDefaultAlignment;

    std::vector<uint8_t> head;
    append_le(head, kMagic);
    append_le(head, kWriteVersion);
    append_le<uint64_t>(head, tensors.size());
    append_le<uint64_t>(head, entries.size() + (add_alignment_key ? 1 : 0));
    for (const auto& e : entries) {
        append_string(head, e.key);
        if (e.key == "general.alignment") {
            append_le(head, static_cast<uint32_t>(ValueType::UINT32));
            append_le(head, alignment);
            continue;
        }
        append_le(head, static_cast<uint32_t>(e.type));
        append_bytes(head, e.payload.data(), e.payload.size());
    }
    if (add_alignment_key) {
        append_string(head, "general.alignment");
        append_le(head, static_cast<uint32_t>(ValueType::UINT32));
        append_le(head, alignment);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
        append_string(head, tensors[i].name);
        append_le(head, static_cast<uint32_t>(tensors[i].ne.size()));
        for (uint64_t n : tensors[i].ne) append_le(head, n);
        append_le(head, static_cast<uint32_t>(tensors[i].type));
        append_le(head, offset);
        if (__builtin_add_overflow(offset, align_up(sizes[i], alignment), &offset)) {
            return make_error("tensor data exceeds 2^64 bytes");
        }
    }
    return head;
}

}  // namespace

Result<bool> GgufWriter::write(const std::string& path, uint32_t alignment) const {
    const auto fail = [&path](const std::string& what) { return make_error(what + " (writing '" + path + "')"); };
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kMaxAlignment) {
        return fail("alignment " + std::to_string(alignment) + " is not a power of two up to " +
                    std::to_string(kMaxAlignment));
    }
    const Result<std::vector<uint64_t>> sizes = tensor_sizes(tensors_);
    if (!sizes) return fail(sizes.error().message);
    const Result<std::vector<uint8_t>> head = encode_head(entries_, tensors_, *sizes, alignment);
    if (!head) return fail(head.error().message);

    TempFile out(path);
    out.write(head->data(), head->size());
    // A file without tensors has no data section, so nothing to align.
    if (!tensors_.empty()) out.write_zeros(align_up(head->size(), alignment) - head->size());
    for (size_t i = 0; i < tensors_.size() && out.ok(); ++i) {
        const uint64_t n = (*sizes)[i];
        std::vector<uint8_t> buffer;  // one tensor at a time, so models larger than memory can be written
        try {
            buffer.resize(n);
        } catch (const std::exception&) {
            return fail("out of memory for tensor '" + tensors_[i].name + "' (" + std::to_string(n) + " bytes)");
        }
        tensors_[i].fill(buffer.data(), buffer.size());
        out.write(buffer.data(), buffer.size());
        out.write_zeros(align_up(n, alignment) - n);
    }
    if (!out.commit()) return make_error(out.error());
    return true;
}

}  // namespace clawbot::gguf
