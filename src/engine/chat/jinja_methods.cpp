// Python methods of str, dict and list that chat templates call.
#include <algorithm>

#include "engine/chat/jinja_args.h"
#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_marks.h"
#include "engine/chat/jinja_operators.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

Value string_list(std::vector<std::string> parts) {
    std::vector<Value> items;
    items.reserve(parts.size());
    for (std::string& p : parts) items.push_back(Value::string(std::move(p)));
    return Value::array(std::move(items));
}

// startswith/endswith take one string or a tuple of them.
bool affix_matches(const std::string& s, const Value* affix, bool at_start, std::string_view what) {
    std::vector<Value> candidates;
    if (affix != nullptr && affix->is_array()) {
        candidates = affix->as_array().items;
    } else {
        candidates.push_back(affix != nullptr ? *affix : Value());
    }
    for (const Value& c : candidates) {
        const std::string& a = string_arg(&c, what);
        if (at_start ? s.starts_with(a) : s.ends_with(a)) return true;
    }
    return false;
}

std::optional<std::string> separator(const Arguments& args) {
    auto sep = optional_string_arg(args.get(0, "sep"), "split");
    if (sep && sep->empty()) fail("empty separator");
    return sep;
}

std::optional<Value> string_method(Evaluator& ev, const std::string& s, const std::string& name,
                                   const Arguments& args) {
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const auto side = name == "strip" ? StripSide::both : name == "lstrip" ? StripSide::left : StripSide::right;
        return Value::string(std::string(python_strip(s, side, optional_string_arg(args.get(0, "chars"), name))));
    }
    if (name == "startswith") return Value::boolean(affix_matches(s, args.get(0, "prefix"), true, name));
    if (name == "endswith") return Value::boolean(affix_matches(s, args.get(0, "suffix"), false, name));
    if (name == "split" || name == "rsplit") {
        const auto sep = separator(args);
        const int64_t max_splits = int_arg(args.get(1, "maxsplit"), -1, name);
        auto parts = name == "split" ? python_split(s, sep, max_splits) : python_rsplit(s, sep, max_splits);
        ev.charge_iterations(parts.size());
        return string_list(std::move(parts));
    }
    if (name == "splitlines") {
        auto parts = python_split(s, std::string("\n"), -1);
        if (!parts.empty() && parts.back().empty()) parts.pop_back();
        for (std::string& p : parts) {
            if (p.ends_with('\r')) p.pop_back();
        }
        ev.charge_iterations(parts.size());
        return string_list(std::move(parts));
    }
    if (name == "replace") return apply_filter(ev, "replace", Value::string(s), args);
    if (name == "upper") return ev.new_string(ascii_upper(s));
    if (name == "lower") return ev.new_string(ascii_lower(s));
    if (name == "title") return ev.new_string(python_title(s));
    if (name == "capitalize") return ev.new_string(python_capitalize(s));
    if (name == "find") {
        const std::size_t hit = s.find(string_arg(args.get(0, "sub"), name));
        return Value::integer(hit == std::string::npos ? -1 : static_cast<int64_t>(code_point_count(s.substr(0, hit))));
    }
    if (name == "count") {
        const std::string& sub = string_arg(args.get(0, "sub"), name);
        if (sub.empty()) return Value::integer(static_cast<int64_t>(code_point_count(s)) + 1);
        int64_t n = 0;
        for (std::size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
        return Value::integer(n);
    }
    if (name == "join") {
        Arguments join_args;
        join_args.positional.push_back(Value::string(s));
        const Value* items = args.get(0, "iterable");
        return apply_filter(ev, "join", items != nullptr ? *items : Value(), join_args);
    }
    if (name == "isspace") {
        return Value::boolean(!s.empty() && python_strip(s, StripSide::both).empty());
    }
    if (name == "isdigit") {
        return Value::boolean(!s.empty() &&
                              std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
    }
    return std::nullopt;
}

std::optional<Value> dict_method(Evaluator& ev, const Value& dict, const std::string& name, const Arguments& args) {
    if (name == "items") return apply_filter(ev, "items", dict, {});
    if (name == "keys") return Value::array(ev.iterate(dict));
    if (name == "values") {
        std::vector<Value> values;
        ev.charge_iterations(dict.as_object().entries.size());
        for (const auto& entry : dict.as_object().entries) values.push_back(entry.second);
        return Value::array(std::move(values));
    }
    if (name == "get") {
        const Value* key = args.get(0, "key");
        const Value* fallback = args.get(1, "default");
        Value found = key != nullptr ? get_item(dict, *key) : Value();
        if (!found.is_undefined()) return found;
        return fallback != nullptr ? *fallback : Value::none();
    }
    return std::nullopt;
}

std::optional<Value> list_method(Evaluator& ev, const Value& list, const std::string& name, const Arguments& args) {
    auto& items = list.as_array().items;
    if (name == "append") {
        const Value* item = args.get(0, "object");
        if (item == nullptr) fail("append needs a value");
        refuse_cycle(ev, *item, &list.as_array());
        ev.charge_iterations(1);
        items.push_back(*item);
        return Value::none();
    }
    if (name == "pop") {
        if (items.empty()) fail("pop from empty list");
        int64_t index = int_arg(args.get(0, "index"), -1, name);
        if (index < 0) index += static_cast<int64_t>(items.size());
        if (index < 0 || index >= static_cast<int64_t>(items.size())) fail("pop index out of range");
        Value popped = items[static_cast<std::size_t>(index)];
        items.erase(items.begin() + static_cast<std::ptrdiff_t>(index));
        return popped;
    }
    if (name == "index") {
        const Value* wanted = args.get(0, "value");
        for (std::size_t i = 0; wanted != nullptr && i < items.size(); ++i) {
            if (values_equal(items[i], *wanted)) return Value::integer(static_cast<int64_t>(i));
        }
        fail("value is not in list");
    }
    return std::nullopt;
}

}  // namespace

std::optional<Value> call_method(Evaluator& evaluator, const Value& object, const std::string& name,
                                 const Arguments& args) {
    // sep.join(items) keeps each item's own marks when sep has none.
    const bool plain_join = name == "join" && object.is_string() && !touches_marked_text(object);
    if (!plain_join && touches_marked_text(object, args)) {
        auto result = string_method(evaluator, unmarked(object).as_string(), name, unmarked(args));
        if (result) return remarked(*result);
        return result;
    }
    if (object.is_string()) return string_method(evaluator, object.as_string(), name, args);
    if (object.is_array()) return list_method(evaluator, object, name, args);
    if (object.is_object() && !object.as_object().is_namespace) return dict_method(evaluator, object, name, args);
    return std::nullopt;
}

}  // namespace clawbot::chat::jinja
