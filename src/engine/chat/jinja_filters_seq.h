#pragma once
// Filters over lists and dicts (select, map, sort, dictsort, join, ...).
#include <optional>
#include <string>

#include "engine/chat/jinja_evaluator.h"

namespace clawbot::chat::jinja {

// Nothing when `name` is not one of these filters.
std::optional<Value> apply_sequence_filter(Evaluator& evaluator, const std::string& name, const Value& input,
                                           const Arguments& args);

}  // namespace clawbot::chat::jinja
