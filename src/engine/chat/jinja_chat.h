#pragma once
// Renders a conversation with a model's own Jinja template the way
// llama.cpp's --jinja path does, so prompts match what the model sees there:
// the same variables, system messages folded into the user turn for
// templates that reject them, and the template's leading BOS removed
// because the tokenizer adds BOS itself.
#include <span>
#include <string>
#include <string_view>

#include "engine/chat/calendar_date.h"
#include "engine/chat/chat_message.h"
#include "engine/chat/jinja_template.h"

namespace clawbot::chat {

struct JinjaChatInputs {
    std::span<const ChatMessage> messages;
    bool add_generation_prompt = true;
    CalendarDate today;
    std::string_view bos_token;
    std::string_view eos_token;
    // llama.cpp's default; templates of reasoning models open a <think>
    // block when it is set.
    bool enable_thinking = true;
    // For templates without a system role (see template_supports_system_role).
    bool merge_system_into_user = false;
    // Each (folded) content enters the template between content marks (see
    // content_marks.h); the contents must hold none themselves.
    bool mark_contents = false;
    // The request's tools (OpenAI's "tools" array as JSON text), passed as
    // the `tools` variable; empty: none, and the variable is undefined.
    // With mark_contents, every string in them is marked as a content is.
    std::string_view tools_json;
};

// Variables passed to the template: messages (role, content; tool_calls
// [{id, type, function: {name, arguments}}] with the arguments as an object;
// tool_call_id and name on tool results), tools, bos_token,
// eos_token, add_generation_prompt, enable_thinking, and date_string
// ("27 Nov 2026", which Llama 3.x templates print) besides the globals.
Result<std::string> render_jinja_chat(const jinja::JinjaTemplate& tmpl, const JinjaChatInputs& inputs);

// Whether a system message reaches the output: rendered with a marker as
// the system message, the template must neither fail nor drop it.
bool template_supports_system_role(const jinja::JinjaTemplate& tmpl, std::string_view bos_token,
                                   std::string_view eos_token);

// What of a tool conversation the template prints, each probed on its own
// (templates differ: DeepSeek V3.1 prints calls and results but no tool
// definitions, Granite prints definitions and results but not the calls).
struct ToolRendering {
    bool definitions = false;  // the `tools` variable: a probe tool's name and description
    bool calls = false;        // an assistant turn's tool_calls: name and arguments
    bool results = false;      // a "tool" turn's content
};
ToolRendering template_tool_rendering(const jinja::JinjaTemplate& tmpl, std::string_view bos_token,
                                      std::string_view eos_token);

}  // namespace clawbot::chat
