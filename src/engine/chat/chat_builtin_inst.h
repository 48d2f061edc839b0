#pragma once
// The [INST]-style families (Llama 2 and Mistral), which track whether an
// instruction turn is open instead of wrapping each message on its own.
#include <span>
#include <string>
#include <string_view>

#include "engine/chat/chat_family.h"
#include "engine/chat/chat_text.h"
#include "engine/chat/content_marks.h"

namespace clawbot::chat::detail {

// A content as a format prints it: trimmed first if the format trims, then
// between content marks if asked (see content_marks.h).
inline std::string content_text(std::string_view content, bool trim, bool mark) {
    const std::string_view text = trim ? trim_ascii_space(content) : content;
    return mark ? mark_content(text) : std::string(text);
}

// For llama2, llama2-sys, llama2-sys-bos and llama2-sys-strip.
std::string render_llama2(ChatTemplateFamily family, std::span<const ChatMessage> messages, bool mark_contents);
// For mistral-v1, mistral-v3 and mistral-v3-tekken.
std::string render_mistral_legacy(ChatTemplateFamily family, std::span<const ChatMessage> messages,
                                  bool mark_contents);
// For mistral-v7 and mistral-v7-tekken.
std::string render_mistral_v7(ChatTemplateFamily family, std::span<const ChatMessage> messages, bool mark_contents);

}  // namespace clawbot::chat::detail
