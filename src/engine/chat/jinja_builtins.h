#pragma once
// The filters, tests, methods and global functions templates may use.
#include <optional>
#include <string>

#include "engine/chat/calendar_date.h"
#include "engine/chat/jinja_evaluator.h"

namespace clawbot::chat::jinja {

// `input | name(args)`. An unknown filter is an error.
Value apply_filter(Evaluator& evaluator, const std::string& name, const Value& input, const Arguments& args);

// `input is name(args)`. An unknown test is an error.
bool apply_test(Evaluator& evaluator, const std::string& name, const Value& input, const Arguments& args);

// `object.name(args)` for the methods of str, dict and list templates use
// (strip, split, startswith, items, get, append, ...); nothing if `object`
// has no such method.
std::optional<Value> call_method(Evaluator& evaluator, const Value& object, const std::string& name,
                                 const Arguments& args);

// range, namespace, dict, raise_exception and strftime_now (which prints
// `today`).
void add_globals(Frame& frame, const CalendarDate& today);

}  // namespace clawbot::chat::jinja
