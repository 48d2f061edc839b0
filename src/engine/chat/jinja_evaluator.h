#pragma once
// Runs a parsed template: executes statements into an output string and
// evaluates expressions, with Jinja's scoping (a for loop or macro call gets
// its own variables; `if` does not) and hard limits on everything an
// untrusted template could use to exhaust the server.
#include <cstddef>
#include <string>
#include <unordered_map>

#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_callable.h"

namespace clawbot::chat::jinja {

struct RenderLimits {
    std::size_t max_output_bytes = 8u << 20;         // the rendered prompt, and any one string
    std::size_t max_string_work_bytes = 256u << 20;  // all strings built during one render
    std::size_t max_iterations = 10'000'000;         // items iterated or built, by loops and filters
    int max_call_depth = 32;                         // macro calls inside macro calls
};

// One scope of variables; lookups fall back to the parent.
struct Frame {
    explicit Frame(const Frame* parent_frame) : parent(parent_frame) {}
    const Value* lookup(const std::string& name) const;

    std::unordered_map<std::string, Value> vars;
    const Frame* parent;
};

class Evaluator {
public:
    // `root` holds the template's variables (and, through its parent, the
    // globals); macros see it, not the scope they are called from.
    Evaluator(Frame& root, const RenderLimits& limits) : root_(root), limits_(limits) {}

    std::string render(const Body& body);
    Value evaluate(const Expr& expr, Frame& frame);

    // For filters, tests, methods and globals:
    std::vector<Value> iterate(const Value& value);  // list items, dict keys, code points
    Value new_string(std::string s);                 // counts against the string limits
    void charge_iterations(std::size_t n);
    Value call(const Value& function, const Arguments& args, const std::string& what);
    Value call_macro(const MacroStmt& macro, const Arguments& args);
    const RenderLimits& limits() const { return limits_; }

private:
    enum class Flow { normal, break_loop, continue_loop };

    Flow execute(const Body& body, Frame& frame, std::string& out);
    Flow execute(const Stmt& stmt, Frame& frame, std::string& out);
    Flow execute_if(const IfStmt& stmt, Frame& frame, std::string& out);
    Flow execute_for(const ForStmt& stmt, Frame& frame, std::string& out);
    void execute_set(const SetStmt& stmt, Frame& frame);
    void append_output(std::string& out, std::string_view text);

    Value evaluate_call(const CallExpr& call, Frame& frame);
    Value evaluate_binary(const BinaryExpr& binary, Frame& frame);
    Value evaluate_unary(const UnaryExpr& unary, Frame& frame);
    Value evaluate_slice(const SliceExpr& slice, Frame& frame);
    Arguments evaluate_args(const CallArgs& args, Frame& frame);

    Frame& root_;
    RenderLimits limits_;
    std::size_t iterations_ = 0;
    std::size_t string_work_ = 0;
    int call_depth_ = 0;
};

// Fails if `value` holds `container` (a list's or dict's storage): storing
// it there would make a cycle, which shared ownership would never free.
void refuse_cycle(Evaluator& evaluator, const Value& value, const void* container);

// Python's obj.name / obj[key] as templates use them: a missing key or an
// index out of range gives undefined rather than an error.
Value get_attribute(const Value& object, const std::string& name);
Value get_item(const Value& object, const Value& key);

}  // namespace clawbot::chat::jinja
