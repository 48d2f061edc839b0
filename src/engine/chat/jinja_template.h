#pragma once
// A Jinja2 subset for the chat templates stored in model files: parse once,
// render per request. Templates come from untrusted files, so parsing and
// rendering are bounded (source size, nesting, loop turns, output and
// string sizes, macro recursion) and every failure is an Error value.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/chat/calendar_date.h"
#include "engine/chat/jinja_evaluator.h"
#include "engine/chat/jinja_parser.h"
#include "common/result.h"

namespace clawbot::chat::jinja {

struct JinjaLimits {
    std::size_t max_source_bytes = 1u << 20;
    ParseLimits parse;
    RenderLimits render;
};

using Variables = std::vector<std::pair<std::string, Value>>;

class JinjaTemplate {
public:
    static Result<JinjaTemplate> parse(std::string_view source, const JinjaLimits& limits = {});

    // Renders with `variables` plus the globals (range, namespace, dict,
    // raise_exception, strftime_now printing `today`). Lists and dicts in
    // `variables` are shared with the template, which may change them, so
    // pass fresh ones. Safe to call from several threads at once.
    Result<std::string> render(const Variables& variables, const CalendarDate& today) const;

private:
    JinjaTemplate(std::shared_ptr<const Body> body, const JinjaLimits& limits)
        : body_(std::move(body)), limits_(limits) {}

    std::shared_ptr<const Body> body_;
    JinjaLimits limits_;
};

}  // namespace clawbot::chat::jinja
