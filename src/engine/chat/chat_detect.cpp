#include "engine/chat/chat_detect.h"

#include "engine/chat/chat_text.h"

namespace clawbot::chat {
namespace {

using F = ChatTemplateFamily;

// A format recognised by its markers but without a built-in family here.
// It still has to be told apart, or a later, looser rule would claim it.
constexpr std::optional<F> kUnsupported = std::nullopt;

std::optional<F> match_inst_family(std::string_view t) {
    if (contains(t, "[SYSTEM_PROMPT]")) return F::mistral_v7;
    // Mistral's official v1/v3 templates: v1 spaces out " [INST]", v3-tekken
    // writes the tag as a double-quoted string.
    if (contains(t, "' [INST] ' + system_message") || contains(t, "[AVAILABLE_TOOLS]")) {
        if (contains(t, " [INST]")) return F::mistral_v1;
        if (contains(t, "\"[INST]\"")) return F::mistral_v3_tekken;
        return F::mistral_v3;
    }
    if (contains(t, "content.strip()")) return F::llama2_sys_strip;
    if (contains(t, "bos_token + '[INST]")) return F::llama2_sys_bos;
    if (contains(t, "<<SYS>>")) return F::llama2_sys;
    return F::llama2;
}

}  // namespace

std::optional<ChatTemplateFamily> match_family(std::string_view t) {
    if (const auto named = family_from_name(t)) return named;
    // EXAONE 4 only adds a tool role to EXAONE 3's format.
    if (t == "exaone4") return F::exaone3;

    if (contains(t, "<|im_start|>")) {
        if (contains(t, "<|im_sep|>")) return F::phi4;
        if (contains(t, "<end_of_utterance>")) return kUnsupported;  // SmolVLM: <|im_start|> is its BOS
        return F::chatml;
    }
    if (t.starts_with("mistral") || contains(t, "[INST]")) return match_inst_family(t);
    if (contains(t, "<|assistant|>") && contains(t, "<|end|>")) return F::phi3;
    if (contains(t, "[gMASK]<sop>")) return kUnsupported;  // ChatGLM 4
    if (contains(t, "<|assistant|>") && contains(t, "<|user|>")) {
        return contains(t, "</s>") ? std::optional<F>(F::falcon3) : kUnsupported;  // else GLM-Edge
    }
    if (contains(t, "<|{{ item['role'] }}|>") && contains(t, "<|begin_of_image|>")) return kUnsupported;
    if (contains(t, "<|user|>") && contains(t, "<|endoftext|>")) return F::zephyr;
    if (contains(t, "bos_token + message['role']")) return kUnsupported;  // AlphaMonarch
    if (contains(t, "<start_of_turn>")) return F::gemma;
    if (contains(t, "'\\n\\nAssistant: ' + eos_token")) return kUnsupported;  // Orion
    if (contains(t, "GPT4 Correct ")) return F::openchat;
    if (contains(t, "USER: ") && contains(t, "ASSISTANT: ")) {
        return contains(t, "SYSTEM: ") ? F::vicuna_orca : F::vicuna;
    }
    if (contains(t, "### Instruction:") && contains(t, "<|EOT|>")) return F::deepseek;
    if (contains(t, "<|START_OF_TURN_TOKEN|>") && contains(t, "<|USER_TOKEN|>")) return F::command_r;
    if (contains(t, "<|start_header_id|>") && contains(t, "<|end_header_id|>")) return F::llama3;
    if (contains(t, "[gMASK]sop")) return kUnsupported;  // ChatGLM 3
    if (contains(t, "<用户>")) return F::minicpm;
    if (contains(t, "'Assistant: ' + message['content'] + eos_token")) return kUnsupported;  // DeepSeek-V2
    if (contains(t, "<｜Assistant｜>") && contains(t, "<｜User｜>") && contains(t, "<｜end▁of▁sentence｜>")) {
        return F::deepseek3;
    }
    if (contains(t, "[|system|]") && contains(t, "[|assistant|]") && contains(t, "[|endofturn|]")) {
        return F::exaone3;  // with or without EXAONE 4's [|tool|]
    }
    if (contains(t, "rwkv-world") || contains(t, "{{- 'User: ' + message['content']|trim + '\\n\\n' -}}")) {
        return kUnsupported;
    }
    if (contains(t, "<|start_of_role|>")) return F::granite;
    if (contains(t, "<|role_start|>")) return kUnsupported;                                    // Megrez
    if (contains(t, " Ассистент:")) return kUnsupported;                                       // YandexGPT
    if (contains(t, "<role>ASSISTANT</role>") && contains(t, "'HUMAN'")) return kUnsupported;  // Bailing
    if (contains(t, "<|header_start|>") && contains(t, "<|header_end|>")) return F::llama4;
    return std::nullopt;
}

ChatTemplateFamily detect_family(std::string_view jinja_source) {
    return match_family(jinja_source).value_or(kFallbackFamily);
}

}  // namespace clawbot::chat
