#pragma once
// The prompt format of the loaded model, as the server uses it: built once
// from the model's metadata, then asked for the prompt text of each
// conversation.
//
// A model's own Jinja template (tokenizer.chat_template) is rendered by the
// built-in interpreter when it parses; the family its markers identify (see
// chat_detect.h) is the fallback whenever the interpreter fails on a
// conversation. A model without a template (stories260K, for one) gets
// ChatML, the format most instruction models share; a base model will not
// have been trained on it, but it keeps the turns readable.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/calendar_date.h"
#include "engine/chat/chat_family.h"
#include "engine/chat/chat_message.h"
#include "engine/chat/jinja_chat.h"
#include "engine/chat/jinja_template.h"
#include "engine/common/byte_range.h"
#include "common/result.h"

namespace clawbot::chat {

struct ChatRenderOptions {
    bool add_generation_prompt = true;
    // The date templates print; today in local time when unset.
    std::optional<CalendarDate> today;
    bool enable_thinking = true;
    // OpenAI's "tools" array as JSON text, for a model template that
    // supports_tools(); empty: none.
    std::string tools_json;
};

struct RenderedPrompt {
    std::string text;
    bool from_model_template = false;  // false: the built-in family rendered it
    std::string fallback_reason;       // why the model's template was not used, if it exists
};

// The prompt with where the message contents landed in it, so that the
// tokenizer can take control tokens from the template's own markup only:
// text a user typed (or a system prompt a request sent) must never become
// one.
struct MarkedPrompt {
    std::string text;  // what render_detailed gives (see render_marked)
    // Every byte that came from a message content lies in one of these
    // (sorted, disjoint, non-empty).
    std::vector<ByteRange> content_ranges;
    bool from_model_template = false;
    std::string fallback_reason;
};

class ChatTemplate {
public:
    // jinja_source: the model's tokenizer.chat_template, if any (a bare
    // family name such as "chatml" selects that family). bos/eos: the text
    // of the model's BOS and EOS tokens, which templates print.
    static ChatTemplate from_model(std::optional<std::string_view> jinja_source, std::string_view bos,
                                   std::string_view eos);
    static ChatTemplate from_family(ChatTemplateFamily family);

    // The prompt for `messages`. Errors: no messages, a role other than
    // system, user, assistant or tool, or tools (options.tools_json, a call,
    // a result) that tool_rendering() says the template does not render, or
    // that it failed on.
    Result<std::string> render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
    Result<RenderedPrompt> render_detailed(std::span<const ChatMessage> messages,
                                           const ChatRenderOptions& options) const;
    // render_detailed's text (the same bytes, unless a content holds the
    // noncharacters U+FDD0 or U+FDD1, which are dropped) and the ranges
    // the contents occupy. Should the model's template move content text
    // somewhere it can no longer be told apart, the family renders instead.
    Result<MarkedPrompt> render_marked(std::span<const ChatMessage> messages, const ChatRenderOptions& options) const;

    // "jinja" when the model's own template renders first, else the family.
    std::string_view name() const;
    // The built-in family used when the model's template cannot be.
    ChatTemplateFamily family() const { return family_; }
    bool has_model_template() const { return model_template_.has_value(); }
    // What of tools the model's own template renders (all false without
    // one). Tools reach only a template that renders them: a caller writes
    // the rest into messages of its own (a system message describing the
    // tools, a call as assistant text, a result as a user turn).
    const ToolRendering& tool_rendering() const { return tool_rendering_; }
    // The model's template source ("" if none), for callers that read its
    // markers (a tool-call syntax).
    const std::string& model_template_source() const { return model_template_source_; }
    // Why the model's template could not be parsed (empty if it was, or if
    // there is none).
    const std::string& model_template_error() const { return model_template_error_; }

private:
    explicit ChatTemplate(ChatTemplateFamily family) : family_(family) {}
    Result<RenderedPrompt> render_with(std::span<const ChatMessage> messages, const ChatRenderOptions& options,
                                       bool mark_contents) const;

    ChatTemplateFamily family_;
    std::optional<jinja::JinjaTemplate> model_template_;
    std::string model_template_error_;
    std::string bos_;
    std::string eos_;
    bool system_role_supported_ = true;
    ToolRendering tool_rendering_;
    std::string model_template_source_;
};

}  // namespace clawbot::chat
