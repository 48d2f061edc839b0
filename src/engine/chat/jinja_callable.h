#pragma once
// Anything a template can call: built-in globals (range, namespace, ...),
// and macros defined by the template itself.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/chat/jinja_value.h"

namespace clawbot::chat::jinja {

class Evaluator;

struct Arguments {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> named;

    // The argument passed at `index` or by `name`, or nullptr if neither.
    const Value* get(std::size_t index, std::string_view name) const;
    const Value* named_arg(std::string_view name) const;
};

class Callable {
public:
    virtual ~Callable() = default;
    virtual Value call(Evaluator& evaluator, const Arguments& args) = 0;
};

}  // namespace clawbot::chat::jinja
