#include "engine/gguf/gguf_parser.h"

#include <limits>
#include <new>
#include <utility>

namespace clawbot::gguf {
namespace {

// Smallest possible encodings, used to bound counts by the bytes left before
// anything is reserved: a count the file could not hold is rejected at once.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                    // key length, type, u8 value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;   // name length, n_dims, ne[0], type, offset
constexpr uint64_t kMinArrayBytes = 4 + 8;                     // element type, count
constexpr size_t kMaxQuotedChars = 96;
// Counts are only bounded by the file size, which for a multi-GB model with
// a corrupt count would still reserve tens of GB. Reserve up to this many
// entries up front and let the vectors grow with what is really there.
constexpr uint64_t kMaxReserve = uint64_t{1} << 18;

size_t reserve_hint(uint64_t count) { return static_cast<size_t>(count < kMaxReserve ? count : kMaxReserve); }

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::FLOAT64); }

// Encoded size of a scalar element, or of the smallest string / array.
uint64_t min_encoded_bytes(ValueType t) {
    if (t == ValueType::STRING) return 8;
    if (t == ValueType::ARRAY) return kMinArrayBytes;
    return scalar_bytes(t);
}

bool is_scalar(ValueType t) { return t != ValueType::STRING && t != ValueType::ARRAY; }

std::string num(uint64_t v) { return std::to_string(v); }

}  // namespace

std::string quoted(std::string_view name) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "'";
    for (size_t i = 0; i < name.size() && i < kMaxQuotedChars; ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    if (name.size() > kMaxQuotedChars) out += "...";
    out += "'";
    return out;
}

std::string GgufFile::Parser::Where::describe() const {
    switch (kind) {
        case Kind::Header: return "header";
        case Kind::Key: return "key of metadata entry " + num(index);
        case Kind::Value: return "value of metadata " + quoted(name);
        case Kind::Element: return "element " + num(index) + " of array " + quoted(name);
        case Kind::Tensor:
            return "info of tensor " + num(index) + (name.empty() ? "" : " (" + quoted(name) + ")");
    }
    return "file";
}

Result<std::unique_ptr<GgufFile>> GgufFile::Parser::load(const uint8_t* data, size_t size, void* mapping) {
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->base_ = data;
    file->size_ = size;
    file->mapping_ = mapping;
    Parser parser(*file);
    try {
        if (std::optional<Error> error = parser.run()) return std::move(*error);
    } catch (const std::bad_alloc&) {
        // Every count is bounded by the file size, so only a huge file can
        // get here; it is reported, not thrown out of the library.
        return make_error("out of memory while indexing the file's metadata and tensors");
    }
    return file;
}

GgufFile::Parser::Parser(GgufFile& file) : file_(file), in_(file.base_, file.size_) {}

std::optional<Error> GgufFile::Parser::run() {
    uint64_t n_tensors = 0;
    uint64_t n_kv = 0;
    const bool ok = parse_header(n_tensors, n_kv) && parse_metadata(n_kv) && parse_alignment() &&
                    parse_tensor_infos(n_tensors) && place_tensor_data();
    if (ok) return std::nullopt;
    return make_error(std::move(error_));
}

bool GgufFile::Parser::fail(std::string message) {
    error_ = std::move(message);
    return false;
}

bool GgufFile::Parser::truncated(const Where& where) {
    return fail("file truncated in " + where.describe() + " (at byte " + num(in_.position()) + " of " +
                num(file_.size_) + ")");
}

template <class T>
bool GgufFile::Parser::read(T& out, const Where& where) {
    return in_.read(out) || truncated(where);
}

template <class Stored, class Wide>
bool GgufFile::Parser::read_as(Wide& out, const Where& where) {
    Stored v{};
    if (!read(v, where)) return false;
    out = static_cast<Wide>(v);
    return true;
}

bool GgufFile::Parser::read_string(std::string_view& out, const Where& where) {
    uint64_t length = 0;
    if (!read(length, where)) return false;
    if (length > in_.remaining()) {
        return fail("string length " + num(length) + " in " + where.describe() + " exceeds the " +
                    num(in_.remaining()) + " bytes left in the file");
    }
    out = std::string_view(reinterpret_cast<const char*>(in_.here()), static_cast<size_t>(length));
    in_.skip(static_cast<size_t>(length));
    return true;
}

bool GgufFile::Parser::parse_header(uint64_t& n_tensors, uint64_t& n_kv) {
    const Where where{};
    uint32_t magic = 0;
    if (!read(magic, where)) return false;
    if (magic != kMagic) {
        return fail("not a GGUF file (magic " + quoted(std::string_view(reinterpret_cast<const char*>(file_.base_), 4)) +
                    ", expected 'GGUF')");
    }
    uint32_t version = 0;
    if (!read(version, where)) return false;
    if (version == 1) {
        return fail("unsupported GGUF version 1 (v1 used 32-bit lengths and is obsolete; only v2 and v3 are read)");
    }
    if (version != 2 && version != 3) {
        const uint32_t swapped = __builtin_bswap32(version);
        if (swapped >= 1 && swapped <= 3) {
            return fail("unsupported big-endian GGUF file (version field " + num(version) +
                        "); only little-endian files are read");
        }
        return fail("unsupported GGUF version " + num(version) + " (only v2 and v3 are read)");
    }
    file_.version_ = version;
    if (!read(n_tensors, where) || !read(n_kv, where)) return false;

    const uint64_t left = in_.remaining();
    if (n_kv > left / kMinKvBytes) {
        return fail("metadata count " + num(n_kv) + " cannot fit in the " + num(left) + " bytes left in the file");
    }
    if (n_tensors > (left - n_kv * kMinKvBytes) / kMinTensorInfoBytes) {
        return fail("tensor count " + num(n_tensors) + " cannot fit in the " + num(left) + " bytes left in the file");
    }
    return true;
}

bool GgufFile::Parser::parse_metadata(uint64_t n_kv) {
    file_.kv_.reserve(reserve_hint(n_kv));
    file_.kv_index_.reserve(reserve_hint(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string_view key;
        if (!read_string(key, Where{Where::Kind::Key, i, {}})) return false;
        uint32_t type = 0;
        if (!read(type, Where{Where::Kind::Value, 0, key})) return false;
        if (!known_value_type(type)) {
            return fail("metadata " + quoted(key) + " has unknown value type " + num(type));
        }
        MetaValue value;
        if (!parse_value(static_cast<ValueType>(type), value, key)) return false;
        if (!file_.kv_index_.emplace(key, file_.kv_.size()).second) {
            return fail("duplicate metadata key " + quoted(key));
        }
        file_.kv_.emplace_back(key, std::move(value));
    }
    return true;
}

bool GgufFile::Parser::parse_value(ValueType type, MetaValue& out, std::string_view key) {
    const Where where{Where::Kind::Value, 0, key};
    out.type = type;
    switch (type) {
        case ValueType::UINT8: return read_as<uint8_t>(out.u, where);
        case ValueType::BOOL: return read_as<uint8_t>(out.u, where);
        case ValueType::UINT16: return read_as<uint16_t>(out.u, where);
        case ValueType::UINT32: return read_as<uint32_t>(out.u, where);
        case ValueType::UINT64: return read_as<uint64_t>(out.u, where);
        case ValueType::INT8: return read_as<int8_t>(out.i, where);
        case ValueType::INT16: return read_as<int16_t>(out.i, where);
        case ValueType::INT32: return read_as<int32_t>(out.i, where);
        case ValueType::INT64: return read_as<int64_t>(out.i, where);
        case ValueType::FLOAT32: return read_as<float>(out.f, where);
        case ValueType::FLOAT64: return read_as<double>(out.f, where);
        case ValueType::STRING: return read_string(out.str, where);
        case ValueType::ARRAY: return parse_array(&out.arr, key, 1);
    }
    return fail("metadata " + quoted(key) + " has unknown value type " + num(static_cast<uint32_t>(type)));
}

// Reads an array header and its elements. With `out` null (nested arrays)
// the elements are validated and skipped.
bool GgufFile::Parser::parse_array(ArrayValue* out, std::string_view key, int depth) {
    const Where where{Where::Kind::Value, 0, key};
    uint32_t elem_type_id = 0;
    uint64_t count = 0;
    if (!read(elem_type_id, where) || !read(count, where)) return false;
    if (!known_value_type(elem_type_id)) {
        return fail("array " + quoted(key) + " has unknown element type " + num(elem_type_id));
    }
    const auto elem_type = static_cast<ValueType>(elem_type_id);
    const uint64_t min_bytes = min_encoded_bytes(elem_type);
    if (count > in_.remaining() / min_bytes) {
        return fail("array count " + num(count) + " in " + quoted(key) + " cannot fit in the " +
                    num(in_.remaining()) + " bytes left in the file");
    }
    if (out) {
        out->elem_type = elem_type;
        out->count = count;
    }
    if (is_scalar(elem_type)) {
        if (out) out->data = in_.here();
        in_.skip(static_cast<size_t>(count * min_bytes));  // fits: checked against remaining above
        return true;
    }
    if (elem_type == ValueType::STRING) {
        if (out) out->strings.reserve(reserve_hint(count));
        for (uint64_t j = 0; j < count; ++j) {
            std::string_view s;
            if (!read_string(s, Where{Where::Kind::Element, j, key})) return false;
            if (out) out->strings.push_back(s);
        }
        return true;
    }
    if (depth >= kMaxArrayDepth) {
        return fail("array " + quoted(key) + " nests arrays deeper than " + num(kMaxArrayDepth) + " levels");
    }
    for (uint64_t j = 0; j < count; ++j) {
        if (!parse_array(nullptr, key, depth + 1)) return false;
    }
    return true;
}

bool GgufFile::Parser::parse_alignment() {
    file_.alignment_ = kDefaultAlignment;
    const MetaValue* value = file_.find("general.alignment");
    if (!value) return true;
    if (value->type != ValueType::UINT32) {
        return fail("general.alignment has type " + std::string(value_type_name(value->type)) + ", expected u32");
    }
    const uint64_t alignment = value->u;
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        return fail("alignment " + num(alignment) + " is not a power of two");
    }
    if (alignment > kMaxAlignment) {
        return fail("alignment " + num(alignment) + " exceeds the largest supported alignment of " +
                    num(kMaxAlignment));
    }
    file_.alignment_ = static_cast<size_t>(alignment);
    return true;
}

bool GgufFile::Parser::parse_tensor_infos(uint64_t n_tensors) {
    file_.tensors_.reserve(reserve_hint(n_tensors));
    file_.tensor_index_.reserve(reserve_hint(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        TensorInfo info;
        if (!parse_tensor_info(i, info)) return false;
        if (!file_.tensor_index_.emplace(info.name, file_.tensors_.size()).second) {
            return fail("duplicate tensor name " + quoted(info.name));
        }
        file_.tensors_.push_back(info);
    }
    return true;
}

bool GgufFile::Parser::parse_tensor_info(uint64_t index, TensorInfo& out) {
    if (!read_string(out.name, Where{Where::Kind::Tensor, index, {}})) return false;
    const Where where{Where::Kind::Tensor, index, out.name};
    const std::string name = "tensor " + quoted(out.name);

    if (!read(out.n_dims, where)) return false;
    if (out.n_dims < 1 || out.n_dims > kMaxDims) {
        return fail(name + " has " + num(out.n_dims) + " dimensions (1 to 4 are supported)");
    }
    constexpr auto kMaxCount = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    for (uint32_t d = 0; d < out.n_dims; ++d) {
        if (!read(out.ne[d], where)) return false;
        if (out.ne[d] > kMaxCount) {
            return fail(name + " dimension " + num(d) + " is negative (" +
                        std::to_string(static_cast<int64_t>(out.ne[d])) + ")");
        }
    }
    // Rows are multiplied separately so that a zero row length cannot hide
    // an overflowing row count.
    uint64_t rows = 0;
    uint64_t n_elements = 0;
    if (__builtin_mul_overflow(out.ne[1], out.ne[2], &rows) || __builtin_mul_overflow(rows, out.ne[3], &rows) ||
        __builtin_mul_overflow(rows, out.ne[0], &n_elements) || rows > kMaxCount || n_elements > kMaxCount) {
        return fail(name + " has too many elements (the product of its dimensions overflows)");
    }

    uint32_t type_id = 0;
    if (!read(type_id, where)) return false;
    const std::optional<DTypeInfo> type = dtype_info(type_id);
    if (!type) return fail(name + " has unknown type id " + num(type_id));
    out.type = static_cast<DType>(type_id);
    if (out.ne[0] % type->block_elems != 0) {
        return fail(name + " row length " + num(out.ne[0]) + " is not a multiple of the " +
                    std::string(type->name) + " block size " + num(type->block_elems));
    }

    if (!read(out.offset, where)) return false;
    if (out.offset % file_.alignment_ != 0) {
        return fail(name + " offset " + num(out.offset) + " is not a multiple of the alignment " +
                    num(file_.alignment_));
    }

    uint64_t row_bytes = 0;
    if (__builtin_mul_overflow(out.ne[0] / type->block_elems, uint64_t{type->block_bytes}, &row_bytes) ||
        __builtin_mul_overflow(row_bytes, rows, &out.n_bytes)) {
        return fail(name + " byte size overflows");
    }
    return true;
}

bool GgufFile::Parser::place_tensor_data() {
    if (file_.tensors_.empty()) return true;  // vocabulary-only files need no data section
    const uint64_t alignment = file_.alignment_;
    const uint64_t end_of_infos = in_.position();
    const uint64_t data_start = (end_of_infos + alignment - 1) / alignment * alignment;
    if (data_start > file_.size_) {
        return fail("file truncated before the data section (it starts at byte " + num(data_start) +
                    ", the file has " + num(file_.size_) + " bytes)");
    }
    const uint64_t data_size = file_.size_ - data_start;
    for (TensorInfo& t : file_.tensors_) {
        uint64_t end = 0;
        if (__builtin_add_overflow(t.offset, t.n_bytes, &end) || end > data_size) {
            return fail("tensor " + quoted(t.name) + " extends past end of file (offset " + num(t.offset) + " + " +
                        num(t.n_bytes) + " bytes > data section of " + num(data_size) + " bytes)");
        }
        t.data = file_.base_ + data_start + t.offset;
    }
    return true;
}

}  // namespace clawbot::gguf
