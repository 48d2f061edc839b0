#include "engine/chat/jinja_evaluator.h"

#include <algorithm>
#include <limits>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_marks.h"
#include "engine/chat/jinja_operators.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

class MacroCallable final : public Callable {
public:
    explicit MacroCallable(const MacroStmt& macro) : macro_(macro) {}
    Value call(Evaluator& evaluator, const Arguments& args) override { return evaluator.call_macro(macro_, args); }

private:
    const MacroStmt& macro_;  // owned by the parsed template, which outlives the render
};

class DepthGuard {
public:
    DepthGuard(int& depth, int max) : depth_(depth) {
        if (++depth_ > max) fail("macro calls nested deeper than " + std::to_string(max));
    }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

private:
    int& depth_;
};

bool has_line_prefix(const std::string& message) { return message.rfind("line ", 0) == 0; }

// Python's slice of a sequence of length n: the indices it selects.
std::vector<std::size_t> slice_indices(std::size_t n, std::optional<int64_t> start, std::optional<int64_t> stop,
                                       int64_t step) {
    const auto len = static_cast<int64_t>(n);
    const auto clamp = [&](std::optional<int64_t> index, int64_t fallback, int64_t low, int64_t high) {
        if (!index) return fallback;
        int64_t i = *index < 0 ? *index + len : *index;
        return i < low ? low : (i > high ? high : i);
    };
    // A stride longer than the sequence selects what a stride of len + 1
    // does; capping it keeps `i += step` from overflowing.
    step = std::clamp(step, -(len + 1), len + 1);
    std::vector<std::size_t> indices;
    if (step > 0) {
        for (int64_t i = clamp(start, 0, 0, len), end = clamp(stop, len, 0, len); i < end; i += step) {
            indices.push_back(static_cast<std::size_t>(i));
        }
    } else {
        for (int64_t i = clamp(start, len - 1, -1, len - 1), end = clamp(stop, -1, -1, len - 1); i > end; i += step) {
            indices.push_back(static_cast<std::size_t>(i));
        }
    }
    return indices;
}

// Whether `value` holds `target` (a list's or dict's storage) anywhere
// inside it; storing such a value into `target` would make a cycle.
bool holds(Evaluator& evaluator, const Value& value, const void* target, int depth) {
    evaluator.charge_iterations(1);
    if (depth > 128) fail("value nested too deeply");
    if (value.is_array()) {
        if (&value.as_array() == target) return true;
        for (const Value& item : value.as_array().items) {
            if (holds(evaluator, item, target, depth + 1)) return true;
        }
    } else if (value.is_object()) {
        if (&value.as_object() == target) return true;
        for (const auto& entry : value.as_object().entries) {
            if (holds(evaluator, entry.second, target, depth + 1)) return true;
        }
    }
    return false;
}

}  // namespace

void refuse_cycle(Evaluator& evaluator, const Value& value, const void* container) {
    if (holds(evaluator, value, container, 0)) fail("a list or namespace cannot contain itself");
}

const Value* Frame::lookup(const std::string& name) const {
    for (const Frame* f = this; f != nullptr; f = f->parent) {
        const auto it = f->vars.find(name);
        if (it != f->vars.end()) return &it->second;
    }
    return nullptr;
}

Value get_attribute(const Value& object, const std::string& name) {
    if (object.is_object()) {
        if (const Value* v = object.as_object().find(name)) return *v;
    }
    return Value();
}

Value get_item(const Value& object, const Value& key) {
    if (object.is_object() && key.is_string()) return get_attribute(object, key.as_string());
    if (!key.is_int()) return Value();
    int64_t index = key.as_int();
    if (object.is_array()) {
        const auto& items = object.as_array().items;
        if (index < 0) index += static_cast<int64_t>(items.size());
        if (index < 0 || index >= static_cast<int64_t>(items.size())) return Value();
        return items[static_cast<std::size_t>(index)];
    }
    if (touches_marked_text(object)) return remarked(get_item(unmarked(object), key));
    if (object.is_string()) {
        const auto cps = code_points(object.as_string());
        if (index < 0) index += static_cast<int64_t>(cps.size());
        if (index < 0 || index >= static_cast<int64_t>(cps.size())) return Value();
        return Value::string(std::string(cps[static_cast<std::size_t>(index)]));
    }
    return Value();
}

std::string Evaluator::render(const Body& body) {
    std::string out;
    execute(body, root_, out);
    return out;
}

Evaluator::Flow Evaluator::execute(const Body& body, Frame& frame, std::string& out) {
    for (const StmtPtr& stmt : body) {
        const Flow flow = execute(*stmt, frame, out);
        if (flow != Flow::normal) return flow;
    }
    return Flow::normal;
}

Evaluator::Flow Evaluator::execute(const Stmt& stmt, Frame& frame, std::string& out) {
    try {
        if (const auto* text = std::get_if<TextStmt>(&stmt.node)) {
            append_output(out, text->text);
        } else if (const auto* output = std::get_if<OutputStmt>(&stmt.node)) {
            append_output(out, to_display_string(evaluate(*output->value, frame)));
        } else if (const auto* branch = std::get_if<IfStmt>(&stmt.node)) {
            return execute_if(*branch, frame, out);
        } else if (const auto* loop = std::get_if<ForStmt>(&stmt.node)) {
            return execute_for(*loop, frame, out);
        } else if (const auto* set = std::get_if<SetStmt>(&stmt.node)) {
            execute_set(*set, frame);
        } else if (const auto* block = std::get_if<SetBlockStmt>(&stmt.node)) {
            std::string captured;
            const Flow flow = execute(block->body, frame, captured);
            frame.vars[block->target] = new_string(std::move(captured));
            return flow;
        } else if (const auto* macro = std::get_if<MacroStmt>(&stmt.node)) {
            frame.vars[macro->name] = Value::callable(std::make_shared<MacroCallable>(*macro));
        } else if (const auto* action = std::get_if<DoStmt>(&stmt.node)) {
            (void)evaluate(*action->value, frame);
        } else if (std::holds_alternative<BreakStmt>(stmt.node)) {
            return Flow::break_loop;
        } else if (std::holds_alternative<ContinueStmt>(stmt.node)) {
            return Flow::continue_loop;
        }
    } catch (const JinjaError& e) {
        // The innermost statement names the line; outer ones pass it on.
        if (has_line_prefix(e.what())) throw;
        throw JinjaError("line " + std::to_string(stmt.line) + ": " + e.what());
    }
    return Flow::normal;
}

Evaluator::Flow Evaluator::execute_if(const IfStmt& stmt, Frame& frame, std::string& out) {
    for (const auto& [condition, body] : stmt.branches) {
        if (evaluate(*condition, frame).truthy()) return execute(body, frame, out);
    }
    return execute(stmt.else_body, frame, out);
}

Evaluator::Flow Evaluator::execute_for(const ForStmt& stmt, Frame& frame, std::string& out) {
    std::vector<Value> items = iterate(evaluate(*stmt.iterable, frame));
    Frame scope(&frame);
    const auto bind = [&](const Value& item) {
        if (stmt.targets.size() == 1) {
            scope.vars[stmt.targets.front()] = item;
            return;
        }
        if (!item.is_array() || item.as_array().items.size() != stmt.targets.size()) {
            fail("cannot unpack " + std::string(item.type_name()) + " into " + std::to_string(stmt.targets.size()) +
                 " loop variables");
        }
        for (std::size_t i = 0; i < stmt.targets.size(); ++i) scope.vars[stmt.targets[i]] = item.as_array().items[i];
    };
    if (stmt.filter) {
        std::vector<Value> kept;
        for (const Value& item : items) {
            bind(item);
            if (evaluate(*stmt.filter, scope).truthy()) kept.push_back(item);
        }
        items = std::move(kept);
    }
    if (items.empty()) return execute(stmt.else_body, frame, out);

    // One loop object for the whole loop, updated in place each turn (as
    // Jinja's is): rebuilding it per turn dominated nested-loop templates.
    const std::size_t n = items.size();
    const auto length = static_cast<int64_t>(n);
    Value loop = Value::object({{"index0", {}},
                                {"index", {}},
                                {"revindex0", {}},
                                {"revindex", {}},
                                {"first", {}},
                                {"last", {}},
                                {"length", Value::integer(length)},
                                {"depth", Value::integer(1)},
                                {"depth0", Value::integer(0)},
                                {"previtem", {}},
                                {"nextitem", {}}});
    auto& fields = loop.as_object().entries;
    scope.vars["loop"] = loop;
    for (std::size_t i = 0; i < n; ++i) {
        bind(items[i]);
        const auto count = static_cast<int64_t>(i);
        fields[0].second = Value::integer(count);
        fields[1].second = Value::integer(count + 1);
        fields[2].second = Value::integer(length - count - 1);
        fields[3].second = Value::integer(length - count);
        fields[4].second = Value::boolean(i == 0);
        fields[5].second = Value::boolean(i + 1 == n);
        fields[9].second = i > 0 ? items[i - 1] : Value();
        fields[10].second = i + 1 < n ? items[i + 1] : Value();
        if (execute(stmt.body, scope, out) == Flow::break_loop) break;
    }
    return Flow::normal;
}

void Evaluator::execute_set(const SetStmt& stmt, Frame& frame) {
    Value value = evaluate(*stmt.value, frame);
    if (!stmt.attribute.empty()) {
        const Value* target = frame.lookup(stmt.targets.front());
        if (target == nullptr || !target->is_object() || !target->as_object().is_namespace) {
            fail("cannot set '" + stmt.attribute + "' on '" + stmt.targets.front() + "', which is not a namespace");
        }
        refuse_cycle(*this, value, &target->as_object());
        target->as_object().set(stmt.attribute, std::move(value));
        return;
    }
    if (stmt.targets.size() == 1) {
        frame.vars[stmt.targets.front()] = std::move(value);
        return;
    }
    if (!value.is_array() || value.as_array().items.size() != stmt.targets.size()) {
        fail("cannot unpack " + std::string(value.type_name()) + " into " + std::to_string(stmt.targets.size()) +
             " names");
    }
    for (std::size_t i = 0; i < stmt.targets.size(); ++i) frame.vars[stmt.targets[i]] = value.as_array().items[i];
}

void Evaluator::append_output(std::string& out, std::string_view text) {
    if (out.size() + text.size() > limits_.max_output_bytes) {
        fail("output longer than " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    out.append(text);
}

Value Evaluator::evaluate(const Expr& expr, Frame& frame) {
    const auto& node = expr.node;
    if (const auto* literal = std::get_if<LiteralExpr>(&node)) return literal->value;
    if (const auto* name = std::get_if<NameExpr>(&node)) {
        const Value* v = frame.lookup(name->name);
        return v != nullptr ? *v : Value();
    }
    if (const auto* list = std::get_if<ListExpr>(&node)) {
        charge_iterations(list->items.size());
        std::vector<Value> items;
        items.reserve(list->items.size());
        for (const ExprPtr& item : list->items) items.push_back(evaluate(*item, frame));
        return Value::array(std::move(items));
    }
    if (const auto* dict = std::get_if<DictExpr>(&node)) {
        charge_iterations(dict->entries.size());
        Value object = Value::object();
        for (const auto& [key_expr, value_expr] : dict->entries) {
            Value key = evaluate(*key_expr, frame);
            if (!key.is_string()) fail("dict keys must be strings, not " + std::string(key.type_name()));
            object.as_object().set(key.as_string(), evaluate(*value_expr, frame));
        }
        return object;
    }
    if (const auto* attribute = std::get_if<AttributeExpr>(&node)) {
        return get_attribute(evaluate(*attribute->object, frame), attribute->name);
    }
    if (const auto* subscript = std::get_if<SubscriptExpr>(&node)) {
        Value object = evaluate(*subscript->object, frame);
        return get_item(object, evaluate(*subscript->index, frame));
    }
    if (const auto* slice = std::get_if<SliceExpr>(&node)) return evaluate_slice(*slice, frame);
    if (const auto* call = std::get_if<CallExpr>(&node)) return evaluate_call(*call, frame);
    if (const auto* filter = std::get_if<FilterExpr>(&node)) {
        Value input = evaluate(*filter->operand, frame);
        return apply_filter(*this, filter->name, input, evaluate_args(filter->args, frame));
    }
    if (const auto* test = std::get_if<TestExpr>(&node)) {
        Value input = evaluate(*test->operand, frame);
        return Value::boolean(apply_test(*this, test->name, input, evaluate_args(test->args, frame)) != test->negated);
    }
    if (const auto* unary = std::get_if<UnaryExpr>(&node)) return evaluate_unary(*unary, frame);
    if (const auto* binary = std::get_if<BinaryExpr>(&node)) return evaluate_binary(*binary, frame);
    const auto& conditional = std::get<ConditionalExpr>(node);
    if (evaluate(*conditional.condition, frame).truthy()) return evaluate(*conditional.then_value, frame);
    return conditional.else_value ? evaluate(*conditional.else_value, frame) : Value();
}

Arguments Evaluator::evaluate_args(const CallArgs& args, Frame& frame) {
    Arguments out;
    out.positional.reserve(args.positional.size());
    for (const ExprPtr& e : args.positional) out.positional.push_back(evaluate(*e, frame));
    for (const auto& [name, e] : args.named) out.named.emplace_back(name, evaluate(*e, frame));
    return out;
}

Value Evaluator::evaluate_call(const CallExpr& call, Frame& frame) {
    if (const auto* attribute = std::get_if<AttributeExpr>(&call.callee->node)) {
        Value object = evaluate(*attribute->object, frame);
        Arguments args = evaluate_args(call.args, frame);
        if (auto result = call_method(*this, object, attribute->name, args)) return std::move(*result);
        return this->call(get_attribute(object, attribute->name), args, attribute->name);
    }
    Value function = evaluate(*call.callee, frame);
    const auto* name = std::get_if<NameExpr>(&call.callee->node);
    return this->call(function, evaluate_args(call.args, frame), name != nullptr ? name->name : "expression");
}

Value Evaluator::call(const Value& function, const Arguments& args, const std::string& what) {
    if (function.is_undefined()) fail("'" + what + "' is undefined");
    if (!function.is_callable()) fail("'" + what + "' (" + std::string(function.type_name()) + ") is not callable");
    return function.as_callable().call(*this, args);
}

Value Evaluator::call_macro(const MacroStmt& macro, const Arguments& args) {
    DepthGuard guard(call_depth_, limits_.max_call_depth);
    Frame scope(&root_);
    for (std::size_t i = 0; i < macro.params.size(); ++i) {
        const MacroParam& param = macro.params[i];
        if (const Value* passed = args.get(i, param.name)) {
            scope.vars[param.name] = *passed;
        } else if (param.default_value) {
            scope.vars[param.name] = evaluate(*param.default_value, scope);
        } else {
            scope.vars[param.name] = Value();
        }
    }
    std::string out;
    execute(macro.body, scope, out);
    return new_string(std::move(out));
}

Value Evaluator::evaluate_unary(const UnaryExpr& unary, Frame& frame) {
    Value operand = evaluate(*unary.operand, frame);
    switch (unary.op) {
        case UnaryOp::logical_not:
            return Value::boolean(!operand.truthy());
        case UnaryOp::plus:
            if (!operand.is_number()) fail("bad operand type for unary +: " + std::string(operand.type_name()));
            return operand;
        case UnaryOp::negate:
            if (operand.is_int() && operand.as_int() != std::numeric_limits<int64_t>::min()) {
                return Value::integer(-operand.as_int());
            }
            if (operand.is_float()) return Value::floating(-operand.as_double());
            fail("bad operand type for unary -: " + std::string(operand.type_name()));
    }
    return Value();
}

Value Evaluator::evaluate_binary(const BinaryExpr& binary, Frame& frame) {
    // Python's `and`/`or` give back an operand, not a bool.
    if (binary.op == BinaryOp::logical_and) {
        Value left = evaluate(*binary.left, frame);
        return left.truthy() ? evaluate(*binary.right, frame) : left;
    }
    if (binary.op == BinaryOp::logical_or) {
        Value left = evaluate(*binary.left, frame);
        return left.truthy() ? left : evaluate(*binary.right, frame);
    }
    Value left = evaluate(*binary.left, frame);
    Value right = evaluate(*binary.right, frame);
    return binary_operation(*this, binary.op, left, right);
}

Value Evaluator::evaluate_slice(const SliceExpr& slice, Frame& frame) {
    Value object = evaluate(*slice.object, frame);
    const auto bound = [&](const ExprPtr& e) -> std::optional<int64_t> {
        if (!e) return std::nullopt;
        Value v = evaluate(*e, frame);
        if (v.is_none()) return std::nullopt;
        if (!v.is_int()) fail("slice indices must be integers");
        return v.as_int();
    };
    const auto start = bound(slice.start);
    const auto stop = bound(slice.stop);
    const int64_t step = bound(slice.step).value_or(1);
    if (step == 0) fail("slice step cannot be zero");
    const bool marked = touches_marked_text(object);
    if (object.is_array()) {
        const auto& items = object.as_array().items;
        std::vector<Value> out;
        for (std::size_t i : slice_indices(items.size(), start, stop, step)) out.push_back(items[i]);
        charge_iterations(out.size());
        return Value::array(std::move(out));
    }
    if (object.is_string()) {
        if (marked) object = unmarked(object);
        const auto cps = code_points(object.as_string());
        std::string out;
        for (std::size_t i : slice_indices(cps.size(), start, stop, step)) out.append(cps[i]);
        return marked ? remarked(new_string(std::move(out))) : new_string(std::move(out));
    }
    if (object.is_undefined()) return Value();
    fail("'" + std::string(object.type_name()) + "' object cannot be sliced");
}

// Every walk over a collection is paid for here, so nested loops and
// filters over big lists stay within max_iterations.
std::vector<Value> Evaluator::iterate(const Value& value) {
    switch (value.kind()) {
        case Value::Kind::undefined:
            return {};
        case Value::Kind::array:
            charge_iterations(value.as_array().items.size());
            return value.as_array().items;
        case Value::Kind::object: {
            if (value.as_object().is_namespace) break;
            charge_iterations(value.as_object().entries.size());
            std::vector<Value> keys;
            for (const auto& entry : value.as_object().entries) keys.push_back(Value::string(entry.first));
            return keys;
        }
        case Value::Kind::string: {
            const bool marked = touches_marked_text(value);
            const std::string text = marked ? unmarked(value).as_string() : value.as_string();
            std::vector<Value> chars;
            for (std::string_view cp : code_points(text)) {
                chars.push_back(marked ? remarked(Value::string(std::string(cp))) : Value::string(std::string(cp)));
            }
            charge_iterations(chars.size());
            return chars;
        }
        default:
            break;
    }
    fail("'" + std::string(value.type_name()) + "' object is not iterable");
}

Value Evaluator::new_string(std::string s) {
    if (s.size() > limits_.max_output_bytes) {
        fail("string longer than " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    string_work_ += s.size();
    if (string_work_ > limits_.max_string_work_bytes) {
        fail("template built more than " + std::to_string(limits_.max_string_work_bytes) + " bytes of strings");
    }
    return Value::string(std::move(s));
}

void Evaluator::charge_iterations(std::size_t n) {
    iterations_ += n;
    if (iterations_ > limits_.max_iterations) {
        fail("template ran more than " + std::to_string(limits_.max_iterations) + " loop iterations");
    }
}

}  // namespace clawbot::chat::jinja
