#include "engine/tokenizer/vocab_gguf.h"

#include <string>

#include "engine/tokenizer/vocab_specials.h"

namespace clawbot {

namespace {

using gguf::ValueType;

bool is_integer(ValueType t) {
    switch (t) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
        case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
            return true;
        default:
            return false;
    }
}

Error bad_key(std::string_view key, std::string_view problem) {
    return make_error(std::string(key) + ": " + std::string(problem));
}

Result<std::vector<float>> read_scores(const gguf::GgufFile& file, size_t n_tokens) {
    constexpr std::string_view kKey = "tokenizer.ggml.scores";
    std::vector<float> scores(n_tokens, 0.0f);
    const gguf::ArrayValue* arr = file.get_array(kKey);
    if (!arr) return scores;
    if (arr->elem_type != ValueType::FLOAT32 && arr->elem_type != ValueType::INT32) {
        return bad_key(kKey, "must be an array of float32 or int32");
    }
    if (arr->count < n_tokens) return bad_key(kKey, "has fewer entries than tokenizer.ggml.tokens");
    for (size_t i = 0; i < n_tokens; ++i) scores[i] = static_cast<float>(arr->float_at(i));
    return scores;
}

Result<std::vector<uint32_t>> read_attrs(const gguf::GgufFile& file, size_t n_tokens) {
    constexpr std::string_view kKey = "tokenizer.ggml.token_type";
    std::vector<uint32_t> attrs(n_tokens, token_attr::kNormal);
    const gguf::ArrayValue* arr = file.get_array(kKey);
    if (!arr) return attrs;
    if (!is_integer(arr->elem_type)) return bad_key(kKey, "must be an array of integers");
    if (arr->count < n_tokens) return bad_key(kKey, "has fewer entries than tokenizer.ggml.tokens");
    for (size_t i = 0; i < n_tokens; ++i) attrs[i] = token_attr::from_token_type(arr->int_at(i));
    return attrs;
}

// "left right" pairs, rank = position. A pair naming a non-token cannot
// apply to ids and is skipped (no published vocabulary has one).
Result<bool> read_merges(const gguf::GgufFile& file, Vocab& v) {
    constexpr std::string_view kKey = "tokenizer.ggml.merges";
    const gguf::ArrayValue* arr = file.get_array(kKey);
    if (!arr) return bad_key(kKey, "missing; a BPE tokenizer needs its merges");
    if (arr->elem_type != ValueType::STRING) return bad_key(kKey, "must be an array of strings");
    for (size_t rank = 0; rank < arr->strings.size(); ++rank) {
        const std::string_view merge = arr->strings[rank];
        // The separator is the first space after the first byte: a half may
        // itself be a lone space in vocabularies that do not spell bytes.
        const size_t space = merge.find(' ', 1);
        if (space == std::string_view::npos) continue;
        const TokenId left = v.find(merge.substr(0, space));
        const TokenId right = v.find(merge.substr(space + 1));
        if (left >= 0 && right >= 0) v.add_merge(left, right, static_cast<uint32_t>(rank));
    }
    return true;
}

// An id from the file replaces the default only when it names a token;
// files write "none" as 0xFFFFFFFF.
void read_id(const gguf::GgufFile& file, std::string_view key, const Vocab& v, TokenId& id) {
    if (!v.valid(id)) id = -1;
    if (const auto value = file.get_int(key); value && *value >= 0 && *value < v.size()) {
        id = static_cast<TokenId>(*value);
    }
}

void read_flag(const gguf::GgufFile& file, std::string_view key, bool& flag) {
    if (const auto value = file.get_bool(key)) flag = *value;
}

// What the tokenizer model implies before the file's own keys are read.
Result<bool> apply_model_defaults(const gguf::GgufFile& file, Vocab& v) {
    if (v.kind() == VocabKind::SpBpe) {
        v.bos = 2;  // Gemma's <bos> and <eos>; the file's keys normally say
        v.eos = 1;
        v.add_bos = true;
        v.add_space_prefix = false;
        return read_merges(file, v);
    }
    if (v.kind() == VocabKind::Spm) {
        v.bos = 1;
        v.eos = 2;
        v.unk = 0;
        v.add_bos = true;
        v.add_space_prefix = true;
        return true;
    }
    v.bos = 11;  // llama.cpp's historical BPE default (Falcon's <|endoftext|>)
    v.eos = 11;
    const std::string_view pre_name = file.get_string("tokenizer.ggml.pre").value_or("default");
    const auto spec = find_pre_tokenizer(pre_name);
    if (!spec) {
        return make_error("unsupported pre-tokenizer '" + std::string(pre_name) +
                          "' (tokenizer.ggml.pre); supported: default, llama-bpe, qwen2, qwen35, gpt-2, "
                          "starcoder, falcon, deepseek-llm, deepseek-coder, command-r and their aliases");
    }
    v.pre = *spec;
    v.add_bos = spec->add_bos;
    return read_merges(file, v);
}

Result<VocabKind> read_kind(const gguf::GgufFile& file) {
    const auto model = file.get_string("tokenizer.ggml.model");
    if (!model) return make_error("tokenizer.ggml.model: missing; the file has no tokenizer");
    if (*model == "llama") return VocabKind::Spm;
    if (*model == "gpt2") return VocabKind::Bpe;
    if (*model == "gemma4") return VocabKind::SpBpe;
    return make_error("unsupported tokenizer model '" + std::string(*model) +
                      "' (tokenizer.ggml.model); supported: llama (SentencePiece), gpt2 (byte-level BPE), gemma4 "
                      "(SentencePiece-style BPE)");
}

}  // namespace

Result<Vocab> load_vocab(const gguf::GgufFile& file) {
    auto kind = read_kind(file);
    if (!kind) return kind.error();

    constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
    const gguf::ArrayValue* tokens = file.get_array(kTokensKey);
    if (!tokens) return bad_key(kTokensKey, "missing");
    if (tokens->elem_type != ValueType::STRING) return bad_key(kTokensKey, "must be an array of strings");
    if (tokens->strings.size() > static_cast<size_t>(INT32_MAX)) return bad_key(kTokensKey, "too many tokens");
    const size_t n_tokens = tokens->strings.size();

    auto scores = read_scores(file, n_tokens);
    if (!scores) return scores.error();
    auto attrs = read_attrs(file, n_tokens);
    if (!attrs) return attrs.error();
    auto created = Vocab::create(*kind, tokens->strings, std::move(scores).value(), std::move(attrs).value());
    if (!created) return created.error();
    Vocab v = std::move(created).value();

    if (auto defaults = apply_model_defaults(file, v); !defaults) return defaults.error();
    read_flag(file, "tokenizer.ggml.add_space_prefix", v.add_space_prefix);

    read_id(file, "tokenizer.ggml.bos_token_id", v, v.bos);
    read_id(file, "tokenizer.ggml.eos_token_id", v, v.eos);
    read_id(file, "tokenizer.ggml.eot_token_id", v, v.eot);
    read_id(file, "tokenizer.ggml.eom_token_id", v, v.eom);
    read_id(file, "tokenizer.ggml.unknown_token_id", v, v.unk);
    read_id(file, "tokenizer.ggml.padding_token_id", v, v.pad);
    FimIds fim;
    read_id(file, "tokenizer.ggml.fim_pre_token_id", v, fim.prefix);
    read_id(file, "tokenizer.ggml.prefix_token_id", v, fim.prefix);
    read_id(file, "tokenizer.ggml.fim_suf_token_id", v, fim.suffix);
    read_id(file, "tokenizer.ggml.suffix_token_id", v, fim.suffix);
    read_id(file, "tokenizer.ggml.fim_mid_token_id", v, fim.middle);
    read_id(file, "tokenizer.ggml.middle_token_id", v, fim.middle);
    read_id(file, "tokenizer.ggml.fim_pad_token_id", v, fim.pad);
    read_id(file, "tokenizer.ggml.fim_rep_token_id", v, fim.repo);
    read_id(file, "tokenizer.ggml.fim_sep_token_id", v, fim.file_sep);

    read_flag(file, "tokenizer.ggml.add_bos_token", v.add_bos);
    read_flag(file, "tokenizer.ggml.add_eos_token", v.add_eos);
    if (v.add_bos && v.bos < 0) {
        return make_error("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
    }
    if (v.add_eos && v.eos < 0) {
        return make_error("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
    }

    resolve_special_tokens(v, fim, file.get_string("general.name").value_or(""));
    return v;
}

}  // namespace clawbot
