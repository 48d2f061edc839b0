#include "engine/chat/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/chat/content_marks.h"
#include "engine/chat/jinja_callable.h"
#include "engine/chat/jinja_error.h"

namespace clawbot::chat::jinja {
namespace {

// Lists and dicts are shared, so a template can make one contain itself;
// every walk over nested values stops at this depth instead of recursing
// forever.
constexpr int kMaxValueDepth = 128;

void check_depth(int depth) {
    if (depth > kMaxValueDepth) fail("value nested too deeply (or containing itself)");
}

bool equal_at(const Value& a, const Value& b, int depth);

}  // namespace

const Value* Object::find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

Value* Object::find(std::string_view key) {
    for (auto& [k, v] : entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

void Object::set(std::string key, Value value) {
    if (Value* existing = find(key)) {
        *existing = std::move(value);
    } else {
        entries.emplace_back(std::move(key), std::move(value));
    }
}

const Value* Arguments::named_arg(std::string_view name) const {
    for (const auto& [k, v] : named) {
        if (k == name) return &v;
    }
    return nullptr;
}

const Value* Arguments::get(std::size_t index, std::string_view name) const {
    if (index < positional.size()) return &positional[index];
    return named_arg(name);
}

Value Value::none() {
    Value v;
    v.data_ = nullptr;
    return v;
}

Value Value::boolean(bool b) {
    Value v;
    v.data_ = b;
    return v;
}

Value Value::integer(int64_t i) {
    Value v;
    v.data_ = i;
    return v;
}

Value Value::floating(double d) {
    Value v;
    v.data_ = d;
    return v;
}

Value Value::string(std::string s) {
    Value v;
    v.data_ = std::move(s);
    return v;
}

Value Value::array(std::vector<Value> items) {
    Value v;
    v.data_ = std::make_shared<Array>(Array{std::move(items)});
    return v;
}

Value Value::object(std::vector<std::pair<std::string, Value>> entries) {
    Value v;
    auto object = std::make_shared<Object>();
    object->entries = std::move(entries);
    v.data_ = std::move(object);
    return v;
}

Value Value::callable(std::shared_ptr<Callable> function) {
    Value v;
    v.data_ = std::move(function);
    return v;
}

double Value::as_double() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(data_); }

bool Value::truthy() const {
    switch (kind()) {
        case Kind::undefined:
        case Kind::none:
            return false;
        case Kind::boolean:
            return as_bool();
        case Kind::integer:
            return as_int() != 0;
        case Kind::floating:
            return as_double() != 0.0;
        case Kind::string:
            return !as_string().empty();
        case Kind::array:
            return !as_array().items.empty();
        case Kind::object:
            return as_object().is_namespace || !as_object().entries.empty();
        case Kind::callable:
            return true;
    }
    return false;
}

std::string_view Value::type_name() const {
    switch (kind()) {
        case Kind::undefined:
            return "undefined";
        case Kind::none:
            return "NoneType";
        case Kind::boolean:
            return "bool";
        case Kind::integer:
            return "int";
        case Kind::floating:
            return "float";
        case Kind::string:
            return "str";
        case Kind::array:
            return "list";
        case Kind::object:
            return as_object().is_namespace ? "Namespace" : "dict";
        case Kind::callable:
            return "function";
    }
    return "?";
}

namespace {

bool equal_at(const Value& a, const Value& b, int depth) {
    check_depth(depth);
    if (a.is_number() && b.is_number()) {
        if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
        return a.as_double() == b.as_double();
    }
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Value::Kind::undefined:
        case Value::Kind::none:
            return true;
        case Value::Kind::boolean:
            return a.as_bool() == b.as_bool();
        case Value::Kind::string:
            // A message content compares as its text (see content_marks.h).
            if (has_content_marks(a.as_string()) || has_content_marks(b.as_string())) {
                return without_content_marks(a.as_string()) == without_content_marks(b.as_string());
            }
            return a.as_string() == b.as_string();
        case Value::Kind::array: {
            const auto& x = a.as_array().items;
            const auto& y = b.as_array().items;
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (!equal_at(x[i], y[i], depth + 1)) return false;
            }
            return true;
        }
        case Value::Kind::object: {
            const Object& x = a.as_object();
            const Object& y = b.as_object();
            if (&x == &y) return true;
            if (x.entries.size() != y.entries.size()) return false;
            for (const auto& [key, value] : x.entries) {
                const Value* other = y.find(key);
                if (other == nullptr || !equal_at(value, *other, depth + 1)) return false;
            }
            return true;
        }
        case Value::Kind::callable:
            return &a.as_callable() == &b.as_callable();
        default:
            return false;
    }
}

}  // namespace

bool values_equal(const Value& a, const Value& b) { return equal_at(a, b, 0); }

std::string format_float(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    // Shortest round-trip digits in scientific form ("-1.2345e+06"), then
    // laid out the way Python's repr does: positional for exponents in
    // [-4, 16), scientific with a two-digit exponent otherwise.
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    std::string sign;
    if (!sci.empty() && sci[0] == '-') {
        sign = "-";
        sci.erase(0, 1);
    }
    const auto e_pos = sci.find('e');
    std::string digits = sci.substr(0, e_pos);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const int exponent = std::atoi(sci.c_str() + e_pos + 1);
    if (exponent >= -4 && exponent < 16) {
        std::string out;
        if (exponent >= 0) {
            const auto int_len = static_cast<std::size_t>(exponent) + 1;
            if (digits.size() < int_len) digits.append(int_len - digits.size(), '0');
            out = digits.substr(0, int_len) + "." + (digits.size() > int_len ? digits.substr(int_len) : "0");
        } else {
            out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
        }
        return sign + out;
    }
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + mantissa + exp_buf;
}

namespace {

std::string quote_repr(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        switch (c) {
            case '\'':
                out += "\\'";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
        }
    }
    return out + "'";
}

std::string repr_at(const Value& value, int depth);

std::string container_string(const Value& value, int depth) {
    check_depth(depth);
    std::string out;
    if (value.is_array()) {
        out = "[";
        const auto& items = value.as_array().items;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += ", ";
            out += repr_at(items[i], depth + 1);
        }
        return out + "]";
    }
    out = "{";
    bool first = true;
    for (const auto& [key, v] : value.as_object().entries) {
        if (!first) out += ", ";
        first = false;
        out += quote_repr(key) + ": " + repr_at(v, depth + 1);
    }
    return out + "}";
}

std::string repr_at(const Value& value, int depth) {
    if (value.is_string()) return quote_repr(value.as_string());
    if (value.is_array() || value.is_object()) return container_string(value, depth);
    return to_display_string(value);
}

void append_json_string(std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", c);
                    out += esc;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void append_json(std::string& out, const Value& value, int indent, int depth) {
    check_depth(depth);
    const auto newline = [&](int level) {
        out += '\n';
        out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
    };
    switch (value.kind()) {
        case Value::Kind::undefined:
        case Value::Kind::none:
        case Value::Kind::callable:
            out += "null";
            return;
        case Value::Kind::boolean:
            out += value.as_bool() ? "true" : "false";
            return;
        case Value::Kind::integer:
            out += std::to_string(value.as_int());
            return;
        case Value::Kind::floating: {
            const double d = value.as_double();
            out += std::isfinite(d) ? format_float(d) : (std::isnan(d) ? "NaN" : (d < 0 ? "-Infinity" : "Infinity"));
            return;
        }
        case Value::Kind::string:
            append_json_string(out, value.as_string());
            return;
        case Value::Kind::array: {
            const auto& items = value.as_array().items;
            if (items.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i > 0) out += indent >= 0 ? "," : ", ";
                if (indent >= 0) newline(depth + 1);
                append_json(out, items[i], indent, depth + 1);
            }
            if (indent >= 0) newline(depth);
            out += ']';
            return;
        }
        case Value::Kind::object: {
            const auto& entries = value.as_object().entries;
            if (entries.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (i > 0) out += indent >= 0 ? "," : ", ";
                if (indent >= 0) newline(depth + 1);
                append_json_string(out, entries[i].first);
                out += ": ";
                append_json(out, entries[i].second, indent, depth + 1);
            }
            if (indent >= 0) newline(depth);
            out += '}';
            return;
        }
    }
}

}  // namespace

std::string to_display_string(const Value& value) {
    switch (value.kind()) {
        case Value::Kind::undefined:
            return "";
        case Value::Kind::none:
            return "None";
        case Value::Kind::boolean:
            return value.as_bool() ? "True" : "False";
        case Value::Kind::integer:
            return std::to_string(value.as_int());
        case Value::Kind::floating:
            return format_float(value.as_double());
        case Value::Kind::string:
            return value.as_string();
        case Value::Kind::array:
        case Value::Kind::object:
            return container_string(value, 0);
        case Value::Kind::callable:
            return "<function>";
    }
    return "";
}

std::string to_repr_string(const Value& value) { return repr_at(value, 0); }

std::string to_json(const Value& value, int indent) {
    std::string out;
    append_json(out, value, indent, 0);
    return out;
}

}  // namespace clawbot::chat::jinja
