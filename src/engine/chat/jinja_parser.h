#pragma once
// Builds the statement tree from lexed pieces. The subset: text, {{ expr }},
// if/elif/else, for (with unpacking, `if` filter, else, loop.*), set (plain,
// tuple, namespace attribute, block), macro, do, break/continue and
// generation blocks, with Jinja's expression grammar and precedence.
#include <string_view>

#include "engine/chat/jinja_ast.h"

namespace clawbot::chat::jinja {

struct ParseLimits {
    int max_nesting = 128;  // blocks and sub-expressions inside each other
};

// Throws JinjaError (with a line number) on anything outside the subset.
Body parse_template(std::string_view source, const ParseLimits& limits);

}  // namespace clawbot::chat::jinja
