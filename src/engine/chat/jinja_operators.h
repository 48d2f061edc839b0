#pragma once
// Python's arithmetic, comparison and membership on template values.
#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_evaluator.h"

namespace clawbot::chat::jinja {

// Every binary operator except `and`/`or`, which short-circuit and so are
// the evaluator's. Mismatched types are an error, as in Python.
Value binary_operation(Evaluator& evaluator, BinaryOp op, const Value& left, const Value& right);

// `item in container`: substring, list element or dict key; nothing is in
// undefined.
bool value_in(const Value& item, const Value& container);

// <0, 0 or >0 for numbers or strings (by code point); anything else is an
// error. With fold_case, ASCII letters compare without case (for sorting).
int compare_values(const Value& a, const Value& b, bool fold_case = false);

}  // namespace clawbot::chat::jinja
