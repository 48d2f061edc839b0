// Filters on single values: strings, numbers, JSON, defaults.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>

#include "engine/chat/jinja_args.h"
#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_filters_seq.h"
#include "engine/chat/jinja_marks.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

using Filter = Value (*)(Evaluator&, const Value&, const Arguments&);

std::string text_of(const Value& v) { return to_display_string(v); }

Value trim(Evaluator& ev, const Value& in, const Arguments& args) {
    const auto chars = optional_string_arg(args.get(0, "chars"), "trim");
    const std::string text = text_of(in);
    return ev.new_string(std::string(python_strip(text, StripSide::both, chars)));
}

Value length(Evaluator&, const Value& in, const Arguments&) {
    switch (in.kind()) {
        case Value::Kind::undefined:
            return Value::integer(0);
        case Value::Kind::string:
            return Value::integer(static_cast<int64_t>(code_point_count(in.as_string())));
        case Value::Kind::array:
            return Value::integer(static_cast<int64_t>(in.as_array().items.size()));
        case Value::Kind::object:
            return Value::integer(static_cast<int64_t>(in.as_object().entries.size()));
        default:
            fail("object of type '" + std::string(in.type_name()) + "' has no len()");
    }
}

Value tojson(Evaluator& ev, const Value& in, const Arguments& args) {
    const int64_t indent = int_arg(args.get(0, "indent"), -1, "tojson indent");
    if (indent > 32) fail("tojson indent too large");
    return ev.new_string(to_json(in, static_cast<int>(indent)));
}

Value default_value(Evaluator&, const Value& in, const Arguments& args) {
    const Value* fallback = args.get(0, "default_value");
    const bool when_falsy = bool_arg(args.get(1, "boolean"), false);
    if (in.is_undefined() || (when_falsy && !in.truthy())) return fallback != nullptr ? *fallback : Value::string("");
    return in;
}

Value to_string(Evaluator& ev, const Value& in, const Arguments&) {
    return in.is_string() ? in : ev.new_string(text_of(in));
}

Value safe(Evaluator&, const Value& in, const Arguments&) { return in; }

Value escape(Evaluator& ev, const Value& in, const Arguments&) {
    std::string out;
    for (char c : text_of(in)) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return ev.new_string(std::move(out));
}

Value upper(Evaluator& ev, const Value& in, const Arguments&) { return ev.new_string(ascii_upper(text_of(in))); }
Value lower(Evaluator& ev, const Value& in, const Arguments&) { return ev.new_string(ascii_lower(text_of(in))); }
Value capitalize(Evaluator& ev, const Value& in, const Arguments&) {
    return ev.new_string(python_capitalize(text_of(in)));
}
Value title(Evaluator& ev, const Value& in, const Arguments&) { return ev.new_string(python_title(text_of(in))); }

Value replace(Evaluator& ev, const Value& in, const Arguments& args) {
    const std::string text = text_of(in);
    const std::string& old = string_arg(args.get(0, "old"), "replace");
    const std::string& with = string_arg(args.get(1, "new"), "replace");
    int64_t remaining = int_arg(args.get(2, "count"), -1, "replace count");
    std::string out;
    if (old.empty()) {
        // Python puts the replacement between every code point and at both ends.
        for (std::string_view cp : code_points(text)) {
            if (remaining-- != 0) out += with;
            out += cp;
        }
        if (remaining != 0) out += with;
        return ev.new_string(std::move(out));
    }
    std::size_t start = 0;
    while (remaining != 0) {
        const std::size_t hit = text.find(old, start);
        if (hit == std::string::npos) break;
        out.append(text, start, hit - start).append(with);
        if (out.size() > ev.limits().max_output_bytes) fail("replace result too long");
        start = hit + old.size();
        --remaining;
    }
    out.append(text, start);
    return ev.new_string(std::move(out));
}

Value to_int(Evaluator&, const Value& in, const Arguments& args) {
    const int64_t fallback = int_arg(args.get(0, "default"), 0, "int default");
    if (in.is_int()) return in;
    if (in.is_bool()) return Value::integer(in.as_bool() ? 1 : 0);
    if (in.is_float()) {
        const double d = std::trunc(in.as_double());
        if (!(std::fabs(d) < 9.2e18)) return Value::integer(fallback);
        return Value::integer(static_cast<int64_t>(d));
    }
    if (in.is_string()) {
        const std::string text(python_strip(in.as_string(), StripSide::both));
        try {
            std::size_t used = 0;
            const long long v = std::stoll(text, &used, 10);
            if (used == text.size()) return Value::integer(v);
        } catch (const std::exception&) {
        }
    }
    return Value::integer(fallback);
}

Value to_float(Evaluator&, const Value& in, const Arguments& args) {
    const Value* fallback_arg = args.get(0, "default");
    const double fallback = fallback_arg != nullptr && fallback_arg->is_number() ? fallback_arg->as_double() : 0.0;
    if (in.is_number()) return Value::floating(in.as_double());
    if (in.is_bool()) return Value::floating(in.as_bool() ? 1.0 : 0.0);
    if (in.is_string()) {
        const std::string text(python_strip(in.as_string(), StripSide::both));
        try {
            std::size_t used = 0;
            const double v = std::stod(text, &used);
            if (used == text.size()) return Value::floating(v);
        } catch (const std::exception&) {
        }
    }
    return Value::floating(fallback);
}

Value absolute(Evaluator&, const Value& in, const Arguments&) {
    if (in.is_int() && in.as_int() != std::numeric_limits<int64_t>::min())
        return Value::integer(std::llabs(in.as_int()));
    if (in.is_float()) return Value::floating(std::fabs(in.as_double()));
    fail("abs expects a number, got " + std::string(in.type_name()));
}

Value round_number(Evaluator&, const Value& in, const Arguments& args) {
    if (!in.is_number()) fail("round expects a number, got " + std::string(in.type_name()));
    const int64_t precision = int_arg(args.get(0, "precision"), 0, "round precision");
    const auto method = optional_string_arg(args.get(1, "method"), "round method").value_or("common");
    if (precision < 0 || precision > 15) fail("round precision must be 0..15");
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = in.as_double() * scale;
    const double r = method == "floor" ? std::floor(x) : method == "ceil" ? std::ceil(x) : std::round(x);
    return Value::floating(r / scale);
}

// Jinja's indent: every line after the first gets `width` spaces (or the
// given string); blank lines only with blank=true.
Value indent(Evaluator& ev, const Value& in, const Arguments& args) {
    const Value* width = args.get(0, "width");
    std::string pad;
    if (width != nullptr && width->is_string()) {
        pad = width->as_string();
    } else {
        const int64_t n = int_arg(width, 4, "indent width");
        if (n < 0 || n > 1024) fail("indent width must be 0..1024");
        pad.assign(static_cast<std::size_t>(n), ' ');
    }
    const bool first = bool_arg(args.get(1, "first"), false);
    const bool blank = bool_arg(args.get(2, "blank"), false);
    const std::string text = text_of(in);
    std::string out;
    std::size_t start = 0;
    bool is_first = true;
    while (true) {
        const std::size_t end = text.find('\n', start);
        const std::string_view line =
            std::string_view(text).substr(start, end == std::string::npos ? end : end - start);
        const bool indent_line = is_first ? first : (blank || !python_strip(line, StripSide::both).empty());
        if (indent_line) out += pad;
        out += line;
        if (end == std::string::npos) break;
        out += '\n';
        start = end + 1;
        is_first = false;
        if (out.size() > ev.limits().max_output_bytes) fail("indent result too long");
    }
    return ev.new_string(std::move(out));
}

Value attr(Evaluator&, const Value& in, const Arguments& args) {
    return get_attribute(in, string_arg(args.get(0, "name"), "attr"));
}

const std::unordered_map<std::string_view, Filter>& scalar_filters() {
    static const std::unordered_map<std::string_view, Filter> filters = {
        {"trim", trim},
        {"length", length},
        {"count", length},
        {"tojson", tojson},
        {"default", default_value},
        {"d", default_value},
        {"string", to_string},
        {"safe", safe},
        {"escape", escape},
        {"e", escape},
        {"upper", upper},
        {"lower", lower},
        {"capitalize", capitalize},
        {"title", title},
        {"replace", replace},
        {"int", to_int},
        {"float", to_float},
        {"abs", absolute},
        {"round", round_number},
        {"indent", indent},
        {"attr", attr},
    };
    return filters;
}

}  // namespace

Value apply_filter(Evaluator& evaluator, const std::string& name, const Value& input, const Arguments& args) {
    if (touches_marked_text(input, args)) {
        return remarked(apply_filter(evaluator, name, unmarked(input), unmarked(args)));
    }
    if (auto result = apply_sequence_filter(evaluator, name, input, args)) return std::move(*result);
    const auto& filters = scalar_filters();
    const auto it = filters.find(name);
    if (it == filters.end()) fail("unknown filter '" + name + "'");
    return it->second(evaluator, input, args);
}

}  // namespace clawbot::chat::jinja
