#pragma once
// Internal to the gguf room: validates a GGUF byte buffer and fills a
// GgufFile's metadata and tensor tables with views into that buffer.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/gguf/byte_cursor.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_format.h"

namespace clawbot::gguf {

class GgufFile::Parser {
public:
    // Validates `size` bytes at `data`. `mapping` (may be null) is the mmap
    // region the returned file will own and unmap, even when parsing fails.
    static Result<std::unique_ptr<GgufFile>> load(const uint8_t* data, size_t size, void* mapping);

private:
    // Where a read happens; formatted only when a read fails.
    struct Where {
        enum class Kind { Header, Key, Value, Element, Tensor } kind = Kind::Header;
        uint64_t index = 0;
        std::string_view name;
        std::string describe() const;
    };

    explicit Parser(GgufFile& file);
    std::optional<Error> run();

    bool fail(std::string message);
    bool truncated(const Where& where);
    template <class T>
    bool read(T& out, const Where& where);
    // Reads a `Stored` and widens it into the value field `out`.
    template <class Stored, class Wide>
    bool read_as(Wide& out, const Where& where);
    bool read_string(std::string_view& out, const Where& where);

    bool parse_header(uint64_t& n_tensors, uint64_t& n_kv);
    bool parse_metadata(uint64_t n_kv);
    bool parse_value(ValueType type, MetaValue& out, std::string_view key);
    bool parse_array(ArrayValue* out, std::string_view key, int depth);
    bool parse_alignment();
    bool parse_tensor_infos(uint64_t n_tensors);
    bool parse_tensor_info(uint64_t index, TensorInfo& out);
    bool place_tensor_data();

    GgufFile& file_;
    ByteCursor in_;
    std::string error_;
};

// A name from the file made safe for a one-line message: control and
// non-ASCII bytes escaped, long names cut.
std::string quoted(std::string_view name);

}  // namespace clawbot::gguf
