#include "engine/chat/jinja_template.h"

#include <new>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_error.h"

namespace clawbot::chat::jinja {

Result<JinjaTemplate> JinjaTemplate::parse(std::string_view source, const JinjaLimits& limits) {
    if (source.size() > limits.max_source_bytes) {
        return make_error("template is " + std::to_string(source.size()) + " bytes, more than the limit of " +
                          std::to_string(limits.max_source_bytes));
    }
    try {
        auto body = std::make_shared<const Body>(parse_template(source, limits.parse));
        return JinjaTemplate(std::move(body), limits);
    } catch (const JinjaError& e) {
        return make_error(std::string("template syntax: ") + e.what());
    } catch (const std::bad_alloc&) {
        return make_error("template syntax: out of memory");
    } catch (const std::exception& e) {
        return make_error(std::string("template syntax: ") + e.what());
    }
}

Result<std::string> JinjaTemplate::render(const Variables& variables, const CalendarDate& today) const {
    try {
        Frame globals(nullptr);
        add_globals(globals, today);
        Frame root(&globals);
        for (const auto& [name, value] : variables) root.vars[name] = value;
        Evaluator evaluator(root, limits_.render);
        return evaluator.render(*body_);
    } catch (const JinjaError& e) {
        return make_error(std::string("template render: ") + e.what());
    } catch (const std::bad_alloc&) {
        return make_error("template render: out of memory");
    } catch (const std::exception& e) {
        return make_error(std::string("template render: ") + e.what());
    }
}

}  // namespace clawbot::chat::jinja
