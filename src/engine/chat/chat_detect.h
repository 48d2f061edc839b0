#pragma once
// Recognises a model's chat template (the Jinja text in the GGUF key
// tokenizer.chat_template) by the marker strings its format uses, in the
// order llama.cpp checks them, so both programs pick the same family.
#include <optional>
#include <string_view>

#include "engine/chat/chat_family.h"

namespace clawbot::chat {

// What a conversation is rendered with when nothing better is known: ChatML
// is the format most current instruction models were trained on, and its
// markers read well even as plain text for models that lack the tokens.
inline constexpr ChatTemplateFamily kFallbackFamily = ChatTemplateFamily::chatml;

// The family whose format the template produces, or nothing when no marker
// matches or the markers belong to a format that has no built-in family here
// (ChatGLM, GLM-Edge, SmolVLM, Orion, DeepSeek-V2, RWKV, GigaChat, ...).
// A template text that is exactly a family name ("chatml") selects it.
std::optional<ChatTemplateFamily> match_family(std::string_view jinja_source);

// match_family, or kFallbackFamily when it finds nothing.
ChatTemplateFamily detect_family(std::string_view jinja_source);

}  // namespace clawbot::chat
