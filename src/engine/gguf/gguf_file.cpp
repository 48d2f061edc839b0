#include "engine/gguf/gguf_file.h"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/gguf/gguf_parser.h"

namespace clawbot::gguf {
namespace {

// mmap refuses length 0, and parse() may get a null pointer with size 0:
// both read from here instead, and the parser reports a truncated header.
const uint8_t kEmpty[1] = {0};

std::string os_error(const std::string& what, const std::string& path, int err) {
    return "cannot " + what + " '" + path + "': " + std::generic_category().message(err);
}

// Closes the descriptor on every path out of open(); the mapping outlives it.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer forever. A regular file ignores the flag, and it is only mapped,
    // never read(), so the flag need not be cleared.
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) return make_error(os_error("open", path, errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return make_error(os_error("stat", path, errno));
    if (!S_ISREG(st.st_mode)) return make_error("'" + path + "' is not a regular file");

    const auto size = static_cast<size_t>(st.st_size);
    const uint8_t* data = nullptr;
    void* mapping = nullptr;
    if (size == 0) {
        data = kEmpty;
    } else {
        mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (mapping == MAP_FAILED) return make_error(os_error("map", path, errno));
        data = static_cast<const uint8_t*>(mapping);
    }
    Result<std::unique_ptr<GgufFile>> file = Parser::load(data, size, mapping);
    if (!file) return make_error(file.error().message + " in '" + path + "'");
    return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::parse(const uint8_t* data, size_t size) {
    return Parser::load(size == 0 ? kEmpty : data, size, nullptr);
}

GgufFile::~GgufFile() {
    if (mapping_) ::munmap(mapping_, size_);
}

void GgufFile::release_pages(const uint8_t* begin, size_t bytes) const {
    if (!mapping_ || begin < base_ || bytes > size_ || begin > base_ + (size_ - bytes)) return;
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
    const uintptr_t last = (reinterpret_cast<uintptr_t>(begin) + bytes) / page * page;
    if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const MetaValue* GgufFile::find(std::string_view key) const {
    const auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
    const MetaValue* v = find(key);
    return v ? v->as_int() : std::nullopt;
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
    const MetaValue* v = find(key);
    return v ? v->as_float() : std::nullopt;
}

std::optional<std::string_view> GgufFile::get_string(std::string_view key) const {
    const MetaValue* v = find(key);
    if (!v || v->type != ValueType::STRING) return std::nullopt;
    return v->str;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
    const MetaValue* v = find(key);
    if (!v || v->type != ValueType::BOOL) return std::nullopt;
    return v->u != 0;
}

const ArrayValue* GgufFile::get_array(std::string_view key) const {
    const MetaValue* v = find(key);
    return v && v->type == ValueType::ARRAY ? &v->arr : nullptr;
}

const TensorInfo* GgufFile::tensor(std::string_view name) const {
    const auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace clawbot::gguf
