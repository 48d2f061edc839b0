// The `is` tests (x is defined, x is string, ...): type checks, comparisons
// and number properties.
#include <unordered_map>

#include "engine/chat/jinja_args.h"
#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_marks.h"
#include "engine/chat/jinja_operators.h"

namespace clawbot::chat::jinja {
namespace {

using Test = bool (*)(const Value&, const Arguments&);

const Value& other(const Arguments& args) {
    const Value* v = args.get(0, "other");
    if (v == nullptr) fail("this test needs a value to compare with");
    return *v;
}

int64_t integer_subject(const Value& v, std::string_view test) {
    if (!v.is_int()) {
        // Built by appending: gcc 12 misreports `"literal" + std::string` as overlapping memcpy.
        std::string message(test);
        message.append(" test expects an integer, got ").append(v.type_name());
        fail(message);
    }
    return v.as_int();
}

bool has_upper(const std::string& s, bool want_upper) {
    bool cased = false;
    for (char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            cased = true;
            if ((c >= 'A' && c <= 'Z') != want_upper) return false;
        }
    }
    return cased;
}

const std::unordered_map<std::string_view, Test>& tests() {
    static const std::unordered_map<std::string_view, Test> table = {
        {"defined", [](const Value& v, const Arguments&) { return !v.is_undefined(); }},
        {"undefined", [](const Value& v, const Arguments&) { return v.is_undefined(); }},
        {"none", [](const Value& v, const Arguments&) { return v.is_none(); }},
        {"boolean", [](const Value& v, const Arguments&) { return v.is_bool(); }},
        {"true", [](const Value& v, const Arguments&) { return v.is_bool() && v.as_bool(); }},
        {"false", [](const Value& v, const Arguments&) { return v.is_bool() && !v.as_bool(); }},
        {"integer", [](const Value& v, const Arguments&) { return v.is_int(); }},
        {"float", [](const Value& v, const Arguments&) { return v.is_float(); }},
        {"number", [](const Value& v, const Arguments&) { return v.is_number(); }},
        {"string", [](const Value& v, const Arguments&) { return v.is_string(); }},
        {"mapping", [](const Value& v, const Arguments&) { return v.is_object() && !v.as_object().is_namespace; }},
        {"iterable", [](const Value& v, const Arguments&) { return v.is_string() || v.is_array() || v.is_object(); }},
        {"sequence", [](const Value& v, const Arguments&) { return v.is_string() || v.is_array() || v.is_object(); }},
        {"callable", [](const Value& v, const Arguments&) { return v.is_callable(); }},
        {"escaped", [](const Value&, const Arguments&) { return false; }},
        {"odd", [](const Value& v, const Arguments&) { return integer_subject(v, "odd") % 2 != 0; }},
        {"even", [](const Value& v, const Arguments&) { return integer_subject(v, "even") % 2 == 0; }},
        {"divisibleby",
         [](const Value& v, const Arguments& a) {
             const int64_t d = int_arg(a.get(0, "num"), 0, "divisibleby");
             if (d == 0) fail("divisibleby 0");
             return integer_subject(v, "divisibleby") % d == 0;
         }},
        {"eq", [](const Value& v, const Arguments& a) { return values_equal(v, other(a)); }},
        {"ne", [](const Value& v, const Arguments& a) { return !values_equal(v, other(a)); }},
        {"lt", [](const Value& v, const Arguments& a) { return compare_values(v, other(a)) < 0; }},
        {"le", [](const Value& v, const Arguments& a) { return compare_values(v, other(a)) <= 0; }},
        {"gt", [](const Value& v, const Arguments& a) { return compare_values(v, other(a)) > 0; }},
        {"ge", [](const Value& v, const Arguments& a) { return compare_values(v, other(a)) >= 0; }},
        {"in", [](const Value& v, const Arguments& a) { return value_in(v, other(a)); }},
        {"sameas",
         [](const Value& v, const Arguments& a) {
             const Value& o = other(a);
             // Identity for the singletons; equal value and type otherwise.
             return v.kind() == o.kind() && values_equal(v, o);
         }},
        {"lower", [](const Value& v, const Arguments&) { return v.is_string() && has_upper(v.as_string(), false); }},
        {"upper", [](const Value& v, const Arguments&) { return v.is_string() && has_upper(v.as_string(), true); }},
    };
    return table;
}

// Jinja's other spellings of the comparison tests.
std::string_view canonical_name(std::string_view name) {
    if (name == "equalto" || name == "==") return "eq";
    if (name == "!=") return "ne";
    if (name == "lessthan" || name == "<") return "lt";
    if (name == "<=") return "le";
    if (name == "greaterthan" || name == ">") return "gt";
    if (name == ">=") return "ge";
    return name;
}

}  // namespace

bool apply_test(Evaluator& evaluator, const std::string& name, const Value& input, const Arguments& args) {
    if (touches_marked_text(input, args)) return apply_test(evaluator, name, unmarked(input), unmarked(args));
    const auto& table = tests();
    const auto it = table.find(canonical_name(name));
    if (it == table.end()) fail("unknown test '" + name + "'");
    return it->second(input, args);
}

}  // namespace clawbot::chat::jinja
