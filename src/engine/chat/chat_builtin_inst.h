#pragma once
// The [INST]-style families (Llama 2 and Mistral), which track whether an
// instruction turn is open instead of wrapping each message on its own.
#include <span>
#include <string>

#include "engine/chat/chat_family.h"

namespace clawbot::chat::detail {

// For llama2, llama2-sys, llama2-sys-bos and llama2-sys-strip.
std::string render_llama2(ChatTemplateFamily family, std::span<const ChatMessage> messages);
// For mistral-v1, mistral-v3 and mistral-v3-tekken.
std::string render_mistral_legacy(ChatTemplateFamily family, std::span<const ChatMessage> messages);
// For mistral-v7 and mistral-v7-tekken.
std::string render_mistral_v7(ChatTemplateFamily family, std::span<const ChatMessage> messages);

}  // namespace clawbot::chat::detail
