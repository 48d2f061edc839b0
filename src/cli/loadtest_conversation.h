#pragma once
// One simulated user's conversation: the history an OpenAI client resends
// on every turn, and the random questions it asks.
#include <cstdint>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace clawbot::cli {

class Conversation {
public:
    // Each user draws from its own generator seeded by (seed, user), so the
    // questions do not depend on how the users' requests interleave.
    Conversation(std::string system_prompt, uint64_t seed, int user);

    // Adds a new random user question to the history and returns the
    // request body for it (streaming, with usage).
    std::string next_request(int max_tokens, const std::string& model);
    // The question was answered: the reply joins the history.
    void answered(std::string reply);
    // The question failed: it leaves the history, as a user would retype
    // rather than send two questions in a row.
    void failed();

private:
    std::string random_question();

    nlohmann::json messages_ = nlohmann::json::array();
    std::mt19937_64 rng_;
};

}  // namespace clawbot::cli
