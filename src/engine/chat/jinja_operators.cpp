#include "engine/chat/jinja_operators.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_marks.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
    fail("unsupported operand types for " + std::string(op) + ": '" + std::string(a.type_name()) + "' and '" +
         std::string(b.type_name()) + "'");
}

enum class IntOp { add, subtract, multiply };

Value checked_int(IntOp op, int64_t a, int64_t b) {
    int64_t result = 0;
    const bool overflowed = op == IntOp::add        ? __builtin_add_overflow(a, b, &result)
                            : op == IntOp::subtract ? __builtin_sub_overflow(a, b, &result)
                                                    : __builtin_mul_overflow(a, b, &result);
    if (overflowed) fail("integer overflow");
    return Value::integer(result);
}

Value repeat(Evaluator& evaluator, const Value& sequence, int64_t times) {
    if (times <= 0) return sequence.is_string() ? Value::string("") : Value::array();
    const auto n = static_cast<std::size_t>(times);
    if (sequence.is_string()) {
        const std::string& s = sequence.as_string();
        if (!s.empty() && n > evaluator.limits().max_output_bytes / s.size()) fail("repeated string too long");
        std::string out;
        out.reserve(s.size() * n);
        for (std::size_t i = 0; i < n; ++i) out += s;
        return evaluator.new_string(std::move(out));
    }
    const auto& items = sequence.as_array().items;
    if (items.empty()) return Value::array();
    evaluator.charge_iterations(items.size() * std::min<std::size_t>(n, evaluator.limits().max_iterations));
    std::vector<Value> out;
    for (std::size_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
    return Value::array(std::move(out));
}

Value add(Evaluator& evaluator, const Value& a, const Value& b) {
    if (a.is_int() && b.is_int()) return checked_int(IntOp::add, a.as_int(), b.as_int());
    if (a.is_number() && b.is_number()) return Value::floating(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) return evaluator.new_string(a.as_string() + b.as_string());
    if (a.is_array() && b.is_array()) {
        std::vector<Value> items = a.as_array().items;
        items.insert(items.end(), b.as_array().items.begin(), b.as_array().items.end());
        evaluator.charge_iterations(items.size());
        return Value::array(std::move(items));
    }
    unsupported("+", a, b);
}

Value arithmetic(Evaluator& evaluator, BinaryOp op, const Value& a, const Value& b) {
    if (op == BinaryOp::multiply) {
        if ((a.is_string() || a.is_array()) && b.is_int()) return repeat(evaluator, a, b.as_int());
        if (a.is_int() && (b.is_string() || b.is_array())) return repeat(evaluator, b, a.as_int());
    }
    if (!a.is_number() || !b.is_number()) {
        static constexpr std::string_view kNames[] = {"+", "-", "*", "/", "//", "%", "**"};
        unsupported(kNames[static_cast<int>(op)], a, b);
    }
    const bool ints = a.is_int() && b.is_int();
    const double x = a.as_double();
    const double y = b.as_double();
    switch (op) {
        case BinaryOp::subtract:
            if (ints) return checked_int(IntOp::subtract, a.as_int(), b.as_int());
            return Value::floating(x - y);
        case BinaryOp::multiply:
            if (ints) return checked_int(IntOp::multiply, a.as_int(), b.as_int());
            return Value::floating(x * y);
        case BinaryOp::divide:
            if (y == 0) fail("division by zero");
            return Value::floating(x / y);
        case BinaryOp::floor_divide:
        case BinaryOp::modulo: {
            if (y == 0) fail("division by zero");
            if (!ints) {
                const double q = std::floor(x / y);
                return Value::floating(op == BinaryOp::floor_divide ? q : x - q * y);
            }
            const int64_t i = a.as_int();
            const int64_t j = b.as_int();
            if (i == std::numeric_limits<int64_t>::min() && j == -1) fail("integer overflow");
            // Python rounds the quotient down, so the remainder takes the
            // divisor's sign.
            int64_t q = i / j;
            int64_t m = i % j;
            if (m != 0 && ((m < 0) != (j < 0))) {
                q -= 1;
                m += j;
            }
            return Value::integer(op == BinaryOp::floor_divide ? q : m);
        }
        case BinaryOp::power: {
            if (ints && b.as_int() >= 0) {
                // Square and multiply: log2(exponent) steps at most.
                int64_t result = 1;
                int64_t base = a.as_int();
                for (int64_t e = b.as_int(); e > 0; e >>= 1) {
                    if ((e & 1) != 0 && __builtin_mul_overflow(result, base, &result)) fail("integer overflow");
                    if (e > 1 && __builtin_mul_overflow(base, base, &base)) fail("integer overflow");
                }
                return Value::integer(result);
            }
            return Value::floating(std::pow(x, y));
        }
        default:
            break;
    }
    fail("bad arithmetic operator");
}

}  // namespace

int compare_values(const Value& a, const Value& b, bool fold_case) {
    if (a.is_number() && b.is_number()) {
        if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
        return a.as_double() < b.as_double() ? -1 : (a.as_double() > b.as_double() ? 1 : 0);
    }
    if (a.is_bool() && b.is_bool()) return static_cast<int>(a.as_bool()) - static_cast<int>(b.as_bool());
    if (a.is_string() && b.is_string() && (touches_marked_text(a) || touches_marked_text(b))) {
        return compare_values(unmarked(a), unmarked(b), fold_case);
    }
    if (a.is_string() && b.is_string()) {
        // UTF-8 byte order is code point order.
        const int c = fold_case ? ascii_lower(a.as_string()).compare(ascii_lower(b.as_string()))
                                : a.as_string().compare(b.as_string());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    fail("cannot compare '" + std::string(a.type_name()) + "' with '" + std::string(b.type_name()) + "'");
}

bool value_in(const Value& item, const Value& container) {
    switch (container.kind()) {
        case Value::Kind::undefined:
            return false;
        case Value::Kind::string:
            if (!item.is_string()) fail("'in <string>' requires a string on the left");
            if (touches_marked_text(item) || touches_marked_text(container)) {
                return value_in(unmarked(item), unmarked(container));
            }
            return container.as_string().find(item.as_string()) != std::string::npos;
        case Value::Kind::array:
            for (const Value& v : container.as_array().items) {
                if (values_equal(v, item)) return true;
            }
            return false;
        case Value::Kind::object:
            return item.is_string() && container.as_object().find(unmarked(item).as_string()) != nullptr;
        default:
            fail("argument of type '" + std::string(container.type_name()) + "' is not iterable");
    }
}

Value binary_operation(Evaluator& evaluator, BinaryOp op, const Value& left, const Value& right) {
    switch (op) {
        case BinaryOp::add:
            return add(evaluator, left, right);
        case BinaryOp::concat:
            return evaluator.new_string(to_display_string(left) + to_display_string(right));
        case BinaryOp::equal:
            return Value::boolean(values_equal(left, right));
        case BinaryOp::not_equal:
            return Value::boolean(!values_equal(left, right));
        case BinaryOp::less:
            return Value::boolean(compare_values(left, right) < 0);
        case BinaryOp::less_equal:
            return Value::boolean(compare_values(left, right) <= 0);
        case BinaryOp::greater:
            return Value::boolean(compare_values(left, right) > 0);
        case BinaryOp::greater_equal:
            return Value::boolean(compare_values(left, right) >= 0);
        case BinaryOp::in:
            return Value::boolean(value_in(left, right));
        case BinaryOp::not_in:
            return Value::boolean(!value_in(left, right));
        case BinaryOp::logical_and:
        case BinaryOp::logical_or:
            fail("and/or are evaluated by the evaluator");
        default:
            return arithmetic(evaluator, op, left, right);
    }
}

}  // namespace clawbot::chat::jinja
