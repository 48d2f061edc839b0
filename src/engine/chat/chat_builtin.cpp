// Built-in formats. Most wrap each message on its own, either around the
// role name (chatml, phi3, llama3, ...) or with a fixed prefix and suffix
// per role (deepseek, vicuna, command-r, ...); the few with state across
// messages (gemma, [INST] families) have their own functions.
#include "engine/chat/chat_builtin_inst.h"
#include "engine/chat/chat_family.h"
#include "engine/chat/chat_text.h"

namespace clawbot::chat {
namespace {

using F = ChatTemplateFamily;

// <before_role> role <after_role> content <after_content>
struct RoleNameFormat {
    std::string_view before_role;
    std::string_view after_role;
    std::string_view after_content;
    std::string_view generation_prompt;
    bool trim_content;
};

struct Wrap {
    std::string_view prefix;
    std::string_view suffix;
};

// Fixed text around each role's content. Messages with any other role are
// left out, as llama.cpp leaves them out.
struct PerRoleFormat {
    Wrap system;
    Wrap user;
    Wrap assistant;
    std::string_view generation_prompt;
    bool trim_content;
};

std::optional<RoleNameFormat> role_name_format(F family) {
    switch (family) {
        case F::chatml:
            return RoleNameFormat{"<|im_start|>", "\n", "<|im_end|>\n", "<|im_start|>assistant\n", false};
        case F::phi3:
            return RoleNameFormat{"<|", "|>\n", "<|end|>\n", "<|assistant|>\n", false};
        case F::phi4:
            return RoleNameFormat{"<|im_start|>", "<|im_sep|>", "<|im_end|>", "<|im_start|>assistant<|im_sep|>", false};
        case F::falcon3:
            return RoleNameFormat{"<|", "|>\n", "\n", "<|assistant|>\n", false};
        case F::zephyr:
            return RoleNameFormat{"<|", "|>\n", "<|endoftext|>\n", "<|assistant|>\n", false};
        case F::llama3:
            return RoleNameFormat{"<|start_header_id|>", "<|end_header_id|>\n\n", "<|eot_id|>",
                                  "<|start_header_id|>assistant<|end_header_id|>\n\n", true};
        case F::llama4:
            return RoleNameFormat{"<|header_start|>", "<|header_end|>\n\n", "<|eot|>",
                                  "<|header_start|>assistant<|header_end|>\n\n", true};
        case F::granite:
            return RoleNameFormat{"<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>\n",
                                  "<|start_of_role|>assistant<|end_of_role|>", false};
        default:
            return std::nullopt;
    }
}

std::optional<PerRoleFormat> per_role_format(F family) {
    switch (family) {
        case F::deepseek:
            return PerRoleFormat{
                {"", ""}, {"### Instruction:\n", "\n"}, {"### Response:\n", "\n<|EOT|>\n"}, "### Response:\n", false};
        case F::deepseek3:
            return PerRoleFormat{{"", "\n\n"},
                                 {"<｜User｜>", ""},
                                 {"<｜Assistant｜>", "<｜end▁of▁sentence｜>"},
                                 "<｜Assistant｜>",
                                 false};
        case F::vicuna:
            return PerRoleFormat{{"", "\n\n"}, {"USER: ", "\n"}, {"ASSISTANT: ", "</s>\n"}, "ASSISTANT:", false};
        case F::vicuna_orca:
            return PerRoleFormat{{"SYSTEM: ", "\n"}, {"USER: ", "\n"}, {"ASSISTANT: ", "</s>\n"}, "ASSISTANT:", false};
        case F::openchat:
            return PerRoleFormat{{"", "<|end_of_turn|>"},
                                 {"GPT4 Correct User: ", "<|end_of_turn|>"},
                                 {"GPT4 Correct Assistant: ", "<|end_of_turn|>"},
                                 "GPT4 Correct Assistant:",
                                 false};
        case F::command_r:
            return PerRoleFormat{{"<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>"},
                                 {"<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>"},
                                 {"<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "<|END_OF_TURN_TOKEN|>"},
                                 "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>",
                                 true};
        case F::exaone3:
            return PerRoleFormat{{"[|system|]", "[|endofturn|]\n"},
                                 {"[|user|]", "\n"},
                                 {"[|assistant|]", "[|endofturn|]\n"},
                                 "[|assistant|]",
                                 true};
        case F::minicpm:
            // MiniCPM's reply slot is opened by "<AI>" after every user turn,
            // so it has no separate generation prompt.
            return PerRoleFormat{{"", ""}, {"<用户>", "<AI>"}, {"", ""}, "", true};
        default:
            return std::nullopt;
    }
}

std::string render_role_name(const RoleNameFormat& format, std::span<const ChatMessage> messages,
                             bool add_generation_prompt, bool mark) {
    std::string out;
    for (const ChatMessage& m : messages) {
        out.append(format.before_role).append(m.role).append(format.after_role);
        out.append(detail::content_text(m.content, format.trim_content, mark));
        out.append(format.after_content);
    }
    if (add_generation_prompt) out.append(format.generation_prompt);
    return out;
}

std::string render_per_role(const PerRoleFormat& format, std::span<const ChatMessage> messages,
                            bool add_generation_prompt, bool mark) {
    std::string out;
    for (const ChatMessage& m : messages) {
        const Wrap* wrap = m.role == "system"      ? &format.system
                           : m.role == "user"      ? &format.user
                           : m.role == "assistant" ? &format.assistant
                                                   : nullptr;
        if (wrap == nullptr) continue;
        out.append(wrap->prefix);
        out.append(detail::content_text(m.content, format.trim_content, mark));
        out.append(wrap->suffix);
    }
    if (add_generation_prompt) out.append(format.generation_prompt);
    return out;
}

// Gemma has no system turn: system text is held back and opens the next
// user turn, separated by a blank line.
std::string render_gemma(std::span<const ChatMessage> messages, bool add_generation_prompt, bool mark) {
    std::string out;
    std::string pending_system;
    for (const ChatMessage& m : messages) {
        if (m.role == "system") {
            pending_system += detail::content_text(m.content, true, mark);
            continue;
        }
        const std::string_view role = m.role == "assistant" ? std::string_view("model") : m.role;
        out.append("<start_of_turn>").append(role).append("\n");
        if (!pending_system.empty() && role != "model") {
            out.append(pending_system).append("\n\n");
            pending_system.clear();
        }
        out.append(detail::content_text(m.content, true, mark)).append("<end_of_turn>\n");
    }
    if (add_generation_prompt) out.append("<start_of_turn>model\n");
    return out;
}

}  // namespace

std::string render_builtin(ChatTemplateFamily family, std::span<const ChatMessage> messages,
                           bool add_generation_prompt, bool mark_contents) {
    if (const auto format = role_name_format(family)) {
        return render_role_name(*format, messages, add_generation_prompt, mark_contents);
    }
    if (const auto format = per_role_format(family)) {
        return render_per_role(*format, messages, add_generation_prompt, mark_contents);
    }
    switch (family) {
        case F::gemma:
            return render_gemma(messages, add_generation_prompt, mark_contents);
        case F::llama2:
        case F::llama2_sys:
        case F::llama2_sys_bos:
        case F::llama2_sys_strip:
            return detail::render_llama2(family, messages, mark_contents);
        case F::mistral_v1:
        case F::mistral_v3:
        case F::mistral_v3_tekken:
            return detail::render_mistral_legacy(family, messages, mark_contents);
        case F::mistral_v7:
        case F::mistral_v7_tekken:
            return detail::render_mistral_v7(family, messages, mark_contents);
        default:
            break;
    }
    // Every family is handled above; chatml is the safe answer should a new
    // enumerator be added without a format.
    return render_role_name(*role_name_format(F::chatml), messages, add_generation_prompt, mark_contents);
}

}  // namespace clawbot::chat
