#pragma once
// The built-in chat template families: hard-coded prompt formats that render
// a conversation exactly as llama.cpp's llama_chat_apply_template does, for
// models whose own Jinja template is missing or cannot be run.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/chat/chat_message.h"

namespace clawbot::chat {

enum class ChatTemplateFamily {
    chatml,
    llama2,
    llama2_sys,
    llama2_sys_bos,
    llama2_sys_strip,
    mistral_v1,
    mistral_v3,
    mistral_v3_tekken,
    mistral_v7,
    mistral_v7_tekken,
    phi3,
    phi4,
    falcon3,
    zephyr,
    gemma,
    vicuna,
    vicuna_orca,
    deepseek,
    deepseek3,
    command_r,
    llama3,
    llama4,
    granite,
    openchat,
    exaone3,
    minicpm,
};

// Every family, in declaration order.
std::span<const ChatTemplateFamily> all_families();

// llama.cpp's name for a family ("chatml", "llama2-sys", "mistral-v7", ...).
std::string_view family_name(ChatTemplateFamily family);
std::optional<ChatTemplateFamily> family_from_name(std::string_view name);

// The prompt for `messages` in the family's format. Roles are taken as they
// come (the caller validates them); with add_generation_prompt the text ends
// where the assistant's reply begins (families that always end there, like
// llama2 and mistral, ignore the flag, as llama.cpp does). No BOS is added:
// the tokenizer adds it. With mark_contents, each content is printed
// between content marks (see content_marks.h).
std::string render_builtin(ChatTemplateFamily family, std::span<const ChatMessage> messages,
                           bool add_generation_prompt, bool mark_contents = false);

}  // namespace clawbot::chat
