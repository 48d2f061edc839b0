#include "engine/chat/jinja_marks.h"

#include "engine/chat/content_marks.h"

namespace clawbot::chat::jinja {
namespace {

// Strings, and the strings directly inside a list (str.split's result, a
// tuple of prefixes): one level is all string operations produce or take.
bool holds_marks(const Value& value) {
    if (value.is_string()) return has_content_marks(value.as_string());
    if (!value.is_array()) return false;
    for (const Value& item : value.as_array().items) {
        if (item.is_string() && has_content_marks(item.as_string())) return true;
    }
    return false;
}

template <typename Transform>
Value map_strings(const Value& value, Transform transform) {
    if (value.is_string()) return Value::string(transform(value.as_string()));
    if (!value.is_array()) return value;
    std::vector<Value> items;
    items.reserve(value.as_array().items.size());
    for (const Value& item : value.as_array().items) {
        items.push_back(item.is_string() ? Value::string(transform(item.as_string())) : item);
    }
    return Value::array(std::move(items));
}

}  // namespace

bool touches_marked_text(const Value& subject) {
    return subject.is_string() && has_content_marks(subject.as_string());
}

bool touches_marked_text(const Value& subject, const Arguments& args) {
    if (!subject.is_string()) return false;
    if (has_content_marks(subject.as_string())) return true;
    for (const Value& v : args.positional) {
        if (holds_marks(v)) return true;
    }
    for (const auto& [name, v] : args.named) {
        if (holds_marks(v)) return true;
    }
    return false;
}

Value unmarked(const Value& value) {
    if (!holds_marks(value)) return value;
    return map_strings(value, [](const std::string& s) { return without_content_marks(s); });
}

Arguments unmarked(const Arguments& args) {
    Arguments out;
    out.positional.reserve(args.positional.size());
    for (const Value& v : args.positional) out.positional.push_back(unmarked(v));
    for (const auto& [name, v] : args.named) out.named.emplace_back(name, unmarked(v));
    return out;
}

Value remarked(const Value& value) {
    return map_strings(value, [](const std::string& s) { return mark_content(s); });
}

}  // namespace clawbot::chat::jinja
