#pragma once
// Values of the Jinja subset: Python-like dynamic types. Lists, dicts and
// namespaces are shared by reference (as in Python), so `set ns.x = ...`
// inside a loop is seen after it; strings and numbers are plain values.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace clawbot::chat::jinja {

class Value;
class Callable;

struct Array {
    std::vector<Value> items;
};

// A dict with string keys, kept in insertion order (what templates print
// and what tojson writes). A namespace() object is a dict that `set` may
// assign attributes on.
struct Object {
    std::vector<std::pair<std::string, Value>> entries;
    bool is_namespace = false;

    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    void set(std::string key, Value value);
};

class Value {
public:
    enum class Kind { undefined, none, boolean, integer, floating, string, array, object, callable };

    Value() = default;  // undefined
    static Value none();
    static Value boolean(bool b);
    static Value integer(int64_t i);
    static Value floating(double d);
    static Value string(std::string s);
    static Value array(std::vector<Value> items = {});
    static Value object(std::vector<std::pair<std::string, Value>> entries = {});
    static Value callable(std::shared_ptr<Callable> function);

    Kind kind() const { return static_cast<Kind>(data_.index()); }
    bool is_undefined() const { return kind() == Kind::undefined; }
    bool is_none() const { return kind() == Kind::none; }
    bool is_bool() const { return kind() == Kind::boolean; }
    bool is_int() const { return kind() == Kind::integer; }
    bool is_float() const { return kind() == Kind::floating; }
    bool is_number() const { return is_int() || is_float(); }
    bool is_string() const { return kind() == Kind::string; }
    bool is_array() const { return kind() == Kind::array; }
    bool is_object() const { return kind() == Kind::object; }
    bool is_callable() const { return kind() == Kind::callable; }

    bool as_bool() const { return std::get<bool>(data_); }
    int64_t as_int() const { return std::get<int64_t>(data_); }
    double as_double() const;  // integer or floating
    const std::string& as_string() const { return std::get<std::string>(data_); }
    Array& as_array() const { return *std::get<std::shared_ptr<Array>>(data_); }
    Object& as_object() const { return *std::get<std::shared_ptr<Object>>(data_); }
    Callable& as_callable() const { return *std::get<std::shared_ptr<Callable>>(data_); }

    // Python truthiness: empty strings, lists and dicts, zero, none and
    // undefined are false.
    bool truthy() const;
    // Python type names, for error messages.
    std::string_view type_name() const;

private:
    std::variant<std::monostate, std::nullptr_t, bool, int64_t, double, std::string, std::shared_ptr<Array>,
                 std::shared_ptr<Object>, std::shared_ptr<Callable>>
        data_;
};

// Python ==: numbers by value, lists and dicts element by element.
bool values_equal(const Value& a, const Value& b);

// What {{ value }} prints: str() in Python terms (None, True, 1.5, ['a']).
std::string to_display_string(const Value& value);
// Python repr(): strings quoted, used for the elements of printed lists.
std::string to_repr_string(const Value& value);
// Python's repr of a float: shortest round-trip digits, always with a
// decimal point or exponent (1.0, 0.1, 1e-07).
std::string format_float(double d);

// JSON text as llama.cpp's tojson writes it: keys in insertion order,
// UTF-8 kept as is, ", " and ": " separators, or one item per line when
// indent >= 0. Undefined becomes null.
std::string to_json(const Value& value, int indent = -1);

}  // namespace clawbot::chat::jinja
