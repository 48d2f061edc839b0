#pragma once
// JSON text -> template values, for what a request hands a chat template as
// data (tool definitions, a tool call's arguments). Objects keep the order
// their keys come in, as Python's json.loads does, so tojson prints them
// back the way the client wrote them.
#include <optional>
#include <string_view>

#include "engine/chat/jinja_value.h"

namespace clawbot::chat::jinja {

struct JsonToValueOptions {
    // Every string value (never an object key) is wrapped in content marks
    // (content_marks.h): client text a template prints must stay text.
    bool mark_strings = false;
};

// nullopt if `text` is not one JSON value (surrounding whitespace allowed),
// nests deeper than 64, or escapes a lone surrogate. Bytes are taken as
// they come: callers hand it text a JSON library wrote.
// Integers that fit 64 bits stay integers; other numbers become floats.
std::optional<Value> parse_json_value(std::string_view text, const JsonToValueOptions& options = {});

}  // namespace clawbot::chat::jinja
