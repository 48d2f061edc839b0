#include "engine/chat/chat_builtin_inst.h"

#include "engine/chat/chat_text.h"

namespace clawbot::chat::detail {

std::string render_llama2(ChatTemplateFamily family, std::span<const ChatMessage> messages, bool mark_contents) {
    const bool system_block = family != ChatTemplateFamily::llama2;
    const bool bos_between_turns = family == ChatTemplateFamily::llama2_sys_bos;
    const bool strip = family == ChatTemplateFamily::llama2_sys_strip;
    // The first "[INST] " is written up front: the tokenizer's BOS precedes
    // it, so only later turns carry their own "<s>" (in the -bos variant).
    std::string out = "[INST] ";
    bool turn_open = true;
    for (const ChatMessage& m : messages) {
        const std::string content = content_text(m.content, strip, mark_contents);
        if (!turn_open) {
            out += bos_between_turns ? "<s>[INST] " : "[INST] ";
            turn_open = true;
        }
        if (m.role == "system") {
            if (system_block) {
                out.append("<<SYS>>\n").append(content).append("\n<</SYS>>\n\n");
            } else {
                // Plain Llama 2 has no system slot; the text still leads the turn.
                out.append(content).append("\n");
            }
        } else if (m.role == "user") {
            out.append(content).append(" [/INST]");
        } else {
            out.append(content).append("</s>");
            turn_open = false;
        }
    }
    return out;
}

std::string render_mistral_legacy(ChatTemplateFamily family, std::span<const ChatMessage> messages,
                                  bool mark_contents) {
    // v1 puts a space before [INST] and [/INST]; v3 puts one after [INST]
    // and before the reply and trims the reply; v3-tekken has no spaces.
    const std::string_view lead = family == ChatTemplateFamily::mistral_v1 ? " " : "";
    const std::string_view gap = family == ChatTemplateFamily::mistral_v3_tekken ? "" : " ";
    const bool trim_reply = family == ChatTemplateFamily::mistral_v3;
    std::string out;
    bool turn_open = false;
    for (const ChatMessage& m : messages) {
        if (!turn_open) {
            out.append(lead).append("[INST]").append(gap);
            turn_open = true;
        }
        if (m.role == "system") {
            out.append(content_text(m.content, false, mark_contents)).append("\n\n");
        } else if (m.role == "user") {
            out.append(content_text(m.content, false, mark_contents)).append(lead).append("[/INST]");
        } else {
            out.append(gap).append(content_text(m.content, trim_reply, mark_contents)).append("</s>");
            turn_open = false;
        }
    }
    return out;
}

std::string render_mistral_v7(ChatTemplateFamily family, std::span<const ChatMessage> messages, bool mark_contents) {
    const std::string_view gap = family == ChatTemplateFamily::mistral_v7 ? " " : "";
    std::string out;
    for (const ChatMessage& m : messages) {
        const std::string content = content_text(m.content, false, mark_contents);
        if (m.role == "system") {
            out.append("[SYSTEM_PROMPT]").append(gap).append(content).append("[/SYSTEM_PROMPT]");
        } else if (m.role == "user") {
            out.append("[INST]").append(gap).append(content).append("[/INST]");
        } else {
            out.append(gap).append(content).append("</s>");
        }
    }
    return out;
}

}  // namespace clawbot::chat::detail
