#include "engine/tokenizer/vocab_specials.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <string>

namespace clawbot {

namespace {

using Texts = std::span<const std::string_view>;

// Token texts llama.cpp recognizes (llama-vocab.cpp, load()).
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPrefixTexts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
};
constexpr std::string_view kFimSuffixTexts[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
};
constexpr std::string_view kFimMiddleTexts[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepoTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
};
// gpt-oss tokens that must always render, so they are demoted to user-defined.
constexpr std::string_view kAlwaysRenderedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

// When the file leaves a role unnamed, the lowest id spelled like it takes
// the role (llama.cpp takes whichever its hash map yields first); a token
// found this way is control whatever its declared type.
void detect_role(Vocab& v, TokenId& role, Texts texts) {
    if (role >= 0) return;
    for (std::string_view text : texts) {
        const TokenId id = v.find(text);
        if (id >= 0 && (role < 0 || id < role)) role = id;
    }
    if (role >= 0) v.add_attr(role, token_attr::kControl);
}

TokenId find_in_set(const Vocab& v, std::string_view text) {
    for (TokenId id : v.end_of_generation) {
        if (v.valid(id) && v.text(id) == text) return id;
    }
    return -1;
}

void build_end_of_generation(Vocab& v, const FimIds& fim) {
    auto& eog = v.end_of_generation;
    for (TokenId id : {fim.pad, fim.repo, fim.file_sep}) {
        if (id >= 0) eog.insert(id);
    }
    for (std::string_view text : kEogTexts) {
        if (const TokenId id = v.find(text); id >= 0) {
            eog.insert(id);
            v.add_attr(id, token_attr::kControl);
        }
    }
    for (std::string_view text : kAlwaysRenderedTexts) {
        if (const TokenId id = v.find(text); id >= 0) v.set_attrs(id, token_attr::kUserDefined);
    }
    for (TokenId id : {v.eos, v.eot, v.eom}) {
        if (id >= 0) eog.insert(id);
    }
    // Harmony-style vocabularies end turns with <|return|>/<|call|>; there
    // <|end|> only closes a message and must not stop generation.
    const bool has_call = find_in_set(v, "<|call|>") >= 0 || find_in_set(v, "<|calls|>") >= 0;
    const bool has_return = find_in_set(v, "<|return|>") >= 0;
    const bool has_flush = find_in_set(v, "<|flush|>") >= 0;
    if (const TokenId end = find_in_set(v, "<|end|>"); end >= 0 && has_call && (has_return || has_flush)) {
        eog.erase(end);
        v.set_attrs(end, token_attr::kUserDefined);
    }
    // Where <|tool_response> exists, </s> is ordinary text.
    if (const TokenId s = find_in_set(v, "</s>"); s >= 0 && find_in_set(v, "<|tool_response>") >= 0) {
        eog.erase(s);
        v.set_attrs(s, token_attr::kNormal);
    }
}

void build_special_list(Vocab& v) {
    constexpr uint32_t kSpecial = token_attr::kControl | token_attr::kUserDefined | token_attr::kUnknown;
    v.special_tokens.clear();
    for (TokenId id = 0; id < v.size(); ++id) {
        if (v.has_attr(id, kSpecial)) v.special_tokens.push_back(id);
    }
    // Longest first, so that a special token is never cut by one it contains.
    std::stable_sort(v.special_tokens.begin(), v.special_tokens.end(),
                     [&](TokenId a, TokenId b) { return v.text(a).size() > v.text(b).size(); });
}

bool is_phi3(std::string_view model_name) {
    std::string lower(model_name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find("phi-3") != std::string::npos || lower.find("phi3") != std::string::npos;
}

// Phi-3's added tokens are declared rstrip upstream (they swallow the
// newline its chat template writes after them). GGUF has no field for that,
// so llama.cpp recognizes the model by name and sets RSTRIP itself.
void apply_phi3_strip(Vocab& v) {
    for (TokenId id : v.special_tokens) v.add_attr(id, token_attr::kRStrip);
    if (const TokenId id = v.find("</s>"); id >= 0) v.add_attr(id, token_attr::kRStrip);
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
        if (const TokenId id = v.find(text); id >= 0) v.set_attrs(id, v.attrs(id) & ~token_attr::kRStrip);
    }
}

}  // namespace

void resolve_special_tokens(Vocab& vocab, FimIds fim, std::string_view model_name) {
    detect_role(vocab, vocab.eot, kEotTexts);
    detect_role(vocab, vocab.eom, kEomTexts);
    detect_role(vocab, fim.prefix, kFimPrefixTexts);
    detect_role(vocab, fim.suffix, kFimSuffixTexts);
    detect_role(vocab, fim.middle, kFimMiddleTexts);
    detect_role(vocab, fim.pad, kFimPadTexts);
    detect_role(vocab, fim.repo, kFimRepoTexts);
    detect_role(vocab, fim.file_sep, kFimSepTexts);
    build_end_of_generation(vocab, fim);
    build_special_list(vocab);
    if (is_phi3(model_name)) apply_phi3_strip(vocab);
}

}  // namespace clawbot
