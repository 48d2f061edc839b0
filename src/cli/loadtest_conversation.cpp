#include "cli/loadtest_conversation.h"

#include <array>
#include <string_view>

namespace clawbot::cli {
namespace {

// Plain words a tiny story model has seen, so prompts tokenize to a few
// tokens each whatever the vocabulary.
constexpr std::array<std::string_view, 40> kWords = {
    "what", "why",  "how",   "tell",  "me",    "about", "the",   "little", "dog",  "cat",
    "girl", "boy",  "park",  "tree",  "happy", "sad",   "big",   "red",    "ball", "friend",
    "mom",  "play", "jump",  "sun",   "rain",  "day",   "story", "name",   "bird", "home",
    "car",  "fish", "water", "green", "small", "funny", "toy",   "run",    "sky",  "book"};

}  // namespace

Conversation::Conversation(std::string system_prompt, uint64_t seed, int user)
    : rng_(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(user)) {
    if (!system_prompt.empty()) messages_.push_back({{"role", "system"}, {"content", std::move(system_prompt)}});
}

std::string Conversation::random_question() {
    std::uniform_int_distribution<int> count(3, 6);
    std::uniform_int_distribution<size_t> pick(0, kWords.size() - 1);
    std::string q;
    for (int i = count(rng_); i > 0; --i) {
        if (!q.empty()) q += ' ';
        q += kWords[pick(rng_)];
    }
    return q + "?";
}

std::string Conversation::next_request(int max_tokens, const std::string& model) {
    messages_.push_back({{"role", "user"}, {"content", random_question()}});
    nlohmann::json body{{"messages", messages_},
                        {"max_tokens", max_tokens},
                        {"stream", true},
                        {"stream_options", {{"include_usage", true}}}};
    if (!model.empty()) body["model"] = model;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Conversation::answered(std::string reply) {
    messages_.push_back({{"role", "assistant"}, {"content", std::move(reply)}});
}

void Conversation::failed() {
    if (!messages_.empty() && messages_.back()["role"] == "user") messages_.erase(messages_.size() - 1);
}

}  // namespace clawbot::cli
