#pragma once
// The parsed form of a template: statements that write output, built from
// expressions. Nodes own their children; a parsed template is immutable and
// can be rendered by many threads at once.
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/chat/jinja_value.h"

namespace clawbot::chat::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct CallArgs {
    std::vector<ExprPtr> positional;
    std::vector<std::pair<std::string, ExprPtr>> named;
};

struct LiteralExpr {
    Value value;
};
struct NameExpr {
    std::string name;
};
struct ListExpr {
    std::vector<ExprPtr> items;  // also tuples, which behave as lists here
};
struct DictExpr {
    std::vector<std::pair<ExprPtr, ExprPtr>> entries;
};
struct AttributeExpr {
    ExprPtr object;
    std::string name;
};
struct SubscriptExpr {
    ExprPtr object;
    ExprPtr index;
};
struct SliceExpr {
    ExprPtr object;
    ExprPtr start, stop, step;  // each may be null
};
struct CallExpr {
    ExprPtr callee;
    CallArgs args;
};
struct FilterExpr {
    ExprPtr operand;
    std::string name;
    CallArgs args;
};
struct TestExpr {
    ExprPtr operand;
    std::string name;
    CallArgs args;
    bool negated = false;
};
enum class UnaryOp { negate, plus, logical_not };
struct UnaryExpr {
    UnaryOp op;
    ExprPtr operand;
};
enum class BinaryOp {
    add,
    subtract,
    multiply,
    divide,
    floor_divide,
    modulo,
    power,
    concat,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    in,
    not_in,
    logical_and,
    logical_or,
};
struct BinaryExpr {
    BinaryOp op;
    ExprPtr left, right;
};
struct ConditionalExpr {
    ExprPtr condition, then_value, else_value;  // else_value may be null
};

struct Expr {
    std::variant<LiteralExpr, NameExpr, ListExpr, DictExpr, AttributeExpr, SubscriptExpr, SliceExpr, CallExpr,
                 FilterExpr, TestExpr, UnaryExpr, BinaryExpr, ConditionalExpr>
        node;
    int line = 0;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct TextStmt {
    std::string text;
};
struct OutputStmt {
    ExprPtr value;
};
struct IfStmt {
    std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
    Body else_body;
};
struct ForStmt {
    std::vector<std::string> targets;  // one name, or several to unpack
    ExprPtr iterable;
    ExprPtr filter;  // `for x in xs if cond`, may be null
    Body body;
    Body else_body;  // runs when nothing was iterated
};
// `set name = ...`, `set a, b = ...` or `set ns.attr = ...`.
struct SetStmt {
    std::vector<std::string> targets;
    std::string attribute;  // non-empty for ns.attr (targets holds ns)
    ExprPtr value;
};
struct SetBlockStmt {
    std::string target;
    Body body;
};
struct MacroParam {
    std::string name;
    ExprPtr default_value;  // may be null
};
struct MacroStmt {
    std::string name;
    std::vector<MacroParam> params;
    Body body;
};
// `do expr`: evaluated for its effect (list.append), output discarded.
struct DoStmt {
    ExprPtr value;
};
struct BreakStmt {};
struct ContinueStmt {};

struct Stmt {
    std::variant<TextStmt, OutputStmt, IfStmt, ForStmt, SetStmt, SetBlockStmt, MacroStmt, DoStmt, BreakStmt,
                 ContinueStmt>
        node;
    int line = 0;
};

}  // namespace clawbot::chat::jinja
