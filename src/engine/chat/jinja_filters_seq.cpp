#include "engine/chat/jinja_filters_seq.h"

#include <algorithm>
#include <unordered_map>

#include "engine/chat/jinja_args.h"
#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_operators.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

using Filter = Value (*)(Evaluator&, const Value&, const Arguments&);

// "a.b.0": attributes (or list indices) looked up one after another.
Value attribute_path(const Value& value, const std::string& path) {
    Value current = value;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
        const bool is_index =
            !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        current = is_index && part.size() < 10 ? get_item(current, Value::integer(std::stoll(part)))
                                               : get_attribute(current, part);
        if (dot == std::string::npos) return current;
        start = dot + 1;
    }
}

// For select/reject and selectattr/rejectattr: the test named at
// positional[test_index] with the arguments after it, or truthiness.
bool passes(Evaluator& ev, const Value& value, const Arguments& args, std::size_t test_index) {
    if (args.positional.size() <= test_index) return value.truthy();
    const std::string& test = string_arg(&args.positional[test_index], "test name");
    Arguments test_args;
    test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(test_index) + 1,
                                args.positional.end());
    test_args.named = args.named;
    return apply_test(ev, test, value, test_args);
}

Value filter_items(Evaluator& ev, const Value& in, const Arguments& args, bool by_attribute, bool keep) {
    std::string attribute;
    if (by_attribute) attribute = string_arg(args.get(0, "attribute"), "selectattr");
    std::vector<Value> out;
    for (const Value& item : ev.iterate(in)) {
        const Value subject = by_attribute ? attribute_path(item, attribute) : item;
        if (passes(ev, subject, args, by_attribute ? 1 : 0) == keep) out.push_back(item);
    }
    return Value::array(std::move(out));
}

Value selectattr(Evaluator& ev, const Value& in, const Arguments& a) { return filter_items(ev, in, a, true, true); }
Value rejectattr(Evaluator& ev, const Value& in, const Arguments& a) { return filter_items(ev, in, a, true, false); }
Value select(Evaluator& ev, const Value& in, const Arguments& a) { return filter_items(ev, in, a, false, true); }
Value reject(Evaluator& ev, const Value& in, const Arguments& a) { return filter_items(ev, in, a, false, false); }

Value map(Evaluator& ev, const Value& in, const Arguments& args) {
    std::vector<Value> out;
    if (const Value* attribute = args.named_arg("attribute")) {
        const std::string& path = string_arg(attribute, "map attribute");
        const Value* fallback = args.named_arg("default");
        for (const Value& item : ev.iterate(in)) {
            Value v = attribute_path(item, path);
            out.push_back(v.is_undefined() && fallback != nullptr ? *fallback : v);
        }
        return Value::array(std::move(out));
    }
    const std::string& filter = string_arg(args.get(0, "filter"), "map");
    Arguments rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.named = args.named;
    for (const Value& item : ev.iterate(in)) out.push_back(apply_filter(ev, filter, item, rest));
    return Value::array(std::move(out));
}

Value join(Evaluator& ev, const Value& in, const Arguments& args) {
    const auto separator = optional_string_arg(args.get(0, "d"), "join").value_or("");
    const auto attribute = optional_string_arg(args.get(1, "attribute"), "join attribute");
    std::string out;
    bool first = true;
    for (const Value& item : ev.iterate(in)) {
        if (!first) out += separator;
        first = false;
        out += to_display_string(attribute ? attribute_path(item, *attribute) : item);
        if (out.size() > ev.limits().max_output_bytes) fail("join result too long");
    }
    return ev.new_string(std::move(out));
}

Value list(Evaluator& ev, const Value& in, const Arguments&) { return Value::array(ev.iterate(in)); }

Value first(Evaluator& ev, const Value& in, const Arguments&) {
    if (in.is_array()) return in.as_array().items.empty() ? Value() : in.as_array().items.front();
    auto items = ev.iterate(in);
    return items.empty() ? Value() : items.front();
}

Value last(Evaluator& ev, const Value& in, const Arguments&) {
    if (in.is_array()) return in.as_array().items.empty() ? Value() : in.as_array().items.back();
    auto items = ev.iterate(in);
    return items.empty() ? Value() : items.back();
}

Value items(Evaluator& ev, const Value& in, const Arguments&) {
    if (in.is_undefined()) return Value::array();
    if (!in.is_object()) fail("items expects a dict, got " + std::string(in.type_name()));
    std::vector<Value> pairs;
    ev.charge_iterations(in.as_object().entries.size());
    for (const auto& [key, value] : in.as_object().entries) pairs.push_back(Value::array({Value::string(key), value}));
    return Value::array(std::move(pairs));
}

void sort_values(std::vector<Value>& values, bool reverse, bool case_sensitive,
                 const std::optional<std::string>& attribute) {
    const auto key = [&](const Value& v) { return attribute ? attribute_path(v, *attribute) : v; };
    std::stable_sort(values.begin(), values.end(), [&](const Value& a, const Value& b) {
        const int c = compare_values(key(a), key(b), !case_sensitive);
        return reverse ? c > 0 : c < 0;
    });
}

Value dictsort(Evaluator& ev, const Value& in, const Arguments& args) {
    const bool case_sensitive = bool_arg(args.get(0, "case_sensitive"), false);
    const auto by = optional_string_arg(args.get(1, "by"), "dictsort by").value_or("key");
    const bool reverse = bool_arg(args.get(2, "reverse"), false);
    if (by != "key" && by != "value") fail("dictsort by must be 'key' or 'value'");
    Value pairs = items(ev, in, {});
    sort_values(pairs.as_array().items, reverse, case_sensitive, std::string(by == "key" ? "0" : "1"));
    return pairs;
}

Value sort(Evaluator& ev, const Value& in, const Arguments& args) {
    std::vector<Value> values = ev.iterate(in);
    sort_values(values, bool_arg(args.get(0, "reverse"), false), bool_arg(args.get(1, "case_sensitive"), false),
                optional_string_arg(args.get(2, "attribute"), "sort attribute"));
    return Value::array(std::move(values));
}

Value unique(Evaluator& ev, const Value& in, const Arguments& args) {
    const bool case_sensitive = bool_arg(args.get(0, "case_sensitive"), false);
    const auto attribute = optional_string_arg(args.get(1, "attribute"), "unique attribute");
    std::vector<Value> out;
    std::vector<Value> seen;
    for (const Value& item : ev.iterate(in)) {
        Value key = attribute ? attribute_path(item, *attribute) : item;
        if (!case_sensitive && key.is_string()) key = Value::string(ascii_lower(key.as_string()));
        const bool duplicate =
            std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); });
        ev.charge_iterations(seen.size());
        if (duplicate) continue;
        seen.push_back(std::move(key));
        out.push_back(item);
    }
    return Value::array(std::move(out));
}

Value reverse(Evaluator& ev, const Value& in, const Arguments&) {
    if (in.is_string()) {
        auto cps = code_points(in.as_string());
        std::string out;
        for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
        return ev.new_string(std::move(out));
    }
    std::vector<Value> values = ev.iterate(in);
    std::reverse(values.begin(), values.end());
    return Value::array(std::move(values));
}

Value extreme(Evaluator& ev, const Value& in, const Arguments& args, bool want_max) {
    const bool case_sensitive = bool_arg(args.get(0, "case_sensitive"), false);
    const auto attribute = optional_string_arg(args.get(1, "attribute"), "min/max attribute");
    Value best;
    Value best_key;
    for (const Value& item : ev.iterate(in)) {
        Value key = attribute ? attribute_path(item, *attribute) : item;
        const bool better = best.is_undefined() || (want_max ? compare_values(key, best_key, !case_sensitive) > 0
                                                             : compare_values(key, best_key, !case_sensitive) < 0);
        if (better) {
            best = item;
            best_key = std::move(key);
        }
    }
    return best;
}

Value max(Evaluator& ev, const Value& in, const Arguments& args) { return extreme(ev, in, args, true); }
Value min(Evaluator& ev, const Value& in, const Arguments& args) { return extreme(ev, in, args, false); }

Value sum(Evaluator& ev, const Value& in, const Arguments& args) {
    const auto attribute = optional_string_arg(args.get(0, "attribute"), "sum attribute");
    const Value* start = args.get(1, "start");
    Value total = start != nullptr ? *start : Value::integer(0);
    for (const Value& item : ev.iterate(in)) {
        total = binary_operation(ev, BinaryOp::add, total, attribute ? attribute_path(item, *attribute) : item);
    }
    return total;
}

const std::unordered_map<std::string_view, Filter>& sequence_filters() {
    static const std::unordered_map<std::string_view, Filter> filters = {
        {"selectattr", selectattr},
        {"rejectattr", rejectattr},
        {"select", select},
        {"reject", reject},
        {"map", map},
        {"join", join},
        {"list", list},
        {"first", first},
        {"last", last},
        {"items", items},
        {"dictsort", dictsort},
        {"sort", sort},
        {"unique", unique},
        {"reverse", reverse},
        {"max", max},
        {"min", min},
        {"sum", sum},
    };
    return filters;
}

}  // namespace

std::optional<Value> apply_sequence_filter(Evaluator& evaluator, const std::string& name, const Value& input,
                                           const Arguments& args) {
    const auto& filters = sequence_filters();
    const auto it = filters.find(name);
    if (it == filters.end()) return std::nullopt;
    return it->second(evaluator, input, args);
}

}  // namespace clawbot::chat::jinja
