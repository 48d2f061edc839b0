#include "engine/tokenizer/pre_tokenizer.h"

#include <span>
#include <utility>

#include "engine/tokenizer/split_rules.h"

namespace clawbot {

namespace {

struct NamedSpec {
    std::string_view name;
    PreTokenizerSpec spec;
};

// Only names whose whole behaviour (pattern and flags) llama.cpp gives
// exactly as one of the kinds above; anything else is refused by name.
constexpr NamedSpec kKnownNames[] = {
    {"default", {PreTokenizer::Default, false, false}},
    {"llama3", {PreTokenizer::Llama3, true, true}},
    {"llama-v3", {PreTokenizer::Llama3, true, true}},
    {"llama-bpe", {PreTokenizer::Llama3, true, true}},
    {"falcon3", {PreTokenizer::Llama3, true, true}},
    {"pixtral", {PreTokenizer::Llama3, true, true}},
    {"dbrx", {PreTokenizer::Llama3, false, false}},
    {"smaug-bpe", {PreTokenizer::Llama3, false, false}},
    {"gpt-2", {PreTokenizer::Gpt2, false, false}},
    {"phi-2", {PreTokenizer::Gpt2, false, false}},
    {"mpt", {PreTokenizer::Gpt2, false, false}},
    {"olmo", {PreTokenizer::Gpt2, false, false}},
    {"qwen2", {PreTokenizer::Qwen2, false, false}},
    {"deepseek-r1-qwen", {PreTokenizer::Qwen2, false, false}},
    {"stablelm2", {PreTokenizer::Qwen2, false, false}},
    {"megrez", {PreTokenizer::Qwen2, false, false}},
    {"qwen35", {PreTokenizer::Qwen35, false, false}},
    {"starcoder", {PreTokenizer::Starcoder, false, false}},
    {"refact", {PreTokenizer::Starcoder, false, false}},
    {"smollm", {PreTokenizer::Starcoder, false, false}},
    {"falcon", {PreTokenizer::Falcon, false, false}},
    {"deepseek-llm", {PreTokenizer::DeepseekLlm, false, false}},
    {"deepseek-coder", {PreTokenizer::DeepseekCoder, false, false}},
    {"command-r", {PreTokenizer::Starcoder, false, false}},  // llama.cpp gives it StarCoder's patterns
};

// One step of a pipeline: a rule that cuts a chunk itself, or a pattern
// whose matches (and the stretches between them) become the pieces.
struct Step {
    split::Rule rule = nullptr;
    split::Matcher matcher = nullptr;
};

constexpr Step by_rule(split::Rule r) { return {r, nullptr}; }
constexpr Step by_matches(split::Matcher m) { return {nullptr, m}; }

constexpr Step kDefaultSteps[] = {by_matches(split::match_punctuation_run_default), by_rule(split::split_gpt2),
                                  by_matches(split::match_number_run), by_matches(split::match_three_ascii_digits)};
constexpr Step kGpt2Steps[] = {by_rule(split::split_gpt2)};
constexpr Step kLlama3Steps[] = {by_rule(split::split_llama3)};
constexpr Step kQwen2Steps[] = {by_rule(split::split_qwen2)};
constexpr Step kQwen35Steps[] = {by_rule(split::split_qwen35)};
constexpr Step kStarcoderSteps[] = {by_matches(split::match_one_number), by_rule(split::split_gpt2)};
constexpr Step kFalconSteps[] = {by_matches(split::match_punctuation_run_falcon), by_rule(split::split_gpt2),
                                 by_matches(split::match_three_ascii_digits)};
constexpr Step kDeepseekSteps[] = {
    by_matches(split::match_deepseek_newline),        by_matches(split::match_deepseek_letters),
    by_matches(split::match_deepseek_punctuation),    by_matches(split::match_deepseek_trailing_space),
    by_matches(split::match_deepseek_cjk),            by_matches(split::match_number_run),
};

constexpr Step kDeepseekCoderSteps[] = {
    by_matches(split::match_deepseek_newline),  by_matches(split::match_coder_letters),
    by_matches(split::match_coder_punctuation), by_matches(split::match_deepseek_cjk),
    by_matches(split::match_one_number),
};

std::span<const Step> steps_of(PreTokenizer kind) {
    switch (kind) {
        case PreTokenizer::Default: return kDefaultSteps;
        case PreTokenizer::Gpt2: return kGpt2Steps;
        case PreTokenizer::Llama3: return kLlama3Steps;
        case PreTokenizer::Qwen2: return kQwen2Steps;
        case PreTokenizer::Qwen35: return kQwen35Steps;
        case PreTokenizer::Starcoder: return kStarcoderSteps;
        case PreTokenizer::Falcon: return kFalconSteps;
        case PreTokenizer::DeepseekLlm: return kDeepseekSteps;
        case PreTokenizer::DeepseekCoder: return kDeepseekCoderSteps;
    }
    return kGpt2Steps;
}

}  // namespace

std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name) {
    for (const auto& known : kKnownNames) {
        if (known.name == name) return known.spec;
    }
    return std::nullopt;
}

std::vector<WordSpan> split_words(PreTokenizer kind, const std::vector<uint32_t>& cps) {
    std::vector<WordSpan> chunks;
    if (cps.empty()) return chunks;
    const split::ClassifiedText text(cps);
    chunks.push_back({0, cps.size()});
    std::vector<WordSpan> next;
    for (const Step& step : steps_of(kind)) {
        next.clear();
        next.reserve(chunks.size() * 2);
        for (const WordSpan& c : chunks) {
            if (step.rule) {
                step.rule(text, c.begin, c.end, next);
            } else {
                split::split_by_matches(text, c.begin, c.end, step.matcher, next);
            }
        }
        std::swap(chunks, next);
    }
    return chunks;
}

}  // namespace clawbot
