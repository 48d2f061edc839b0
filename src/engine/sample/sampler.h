#pragma once
// Picks the next token from logits. Candidate buffers are allocated once per
// sampler, never per token.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

struct TokenBias {
    TokenId token = 0;
    float bias = 0.0f;  // added to the token's logit before anything else
};

// A token and its log probability (natural log).
struct TokenProbability {
    TokenId token = 0;
    float logprob = 0.0f;
};

struct SamplerParams {
    float temperature = 0.8f;     // 0 = greedy
    int top_k = 40;               // 0 = off
    float top_p = 0.95f;          // 1 = off
    float min_p = 0.05f;          // 0 = off
    float repeat_penalty = 1.0f;  // 1 = off; divides positive logits, multiplies negative
    int repeat_last_n = 64;       // window of recent tokens the penalties look at
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    uint64_t seed = 0;
    std::vector<TokenBias> logit_bias;  // ids within the vocabulary (the engine checks)
};

class Sampler {
public:
    Sampler(const SamplerParams& params, int n_vocab);

    // `logits` is modified (penalties, temperature). `recent` is the history
    // the penalties consider (the sampler takes its last repeat_last_n).
    TokenId sample(std::span<float> logits, std::span<const TokenId> recent);

    // The model's distribution at this step, before penalties, bias and
    // temperature: call with the logits sample() is about to get, then ask
    // logprob_of(the token it picked). `top_n` (at most kMaxTopLogprobs)
    // most likely tokens are kept, best first. Only requests that ask for
    // log probabilities pay for this (a copy and two passes of the logits).
    static constexpr int kMaxTopLogprobs = 20;
    void measure_logprobs(std::span<const float> logits, int top_n);
    float logprob_of(TokenId token) const;
    std::span<const TokenProbability> top_logprobs() const { return top_; }

    const SamplerParams& params() const { return params_; }
    // Starts over for another request with `params` (its seed included),
    // keeping the buffers: a batch slot's sampler serves one request after
    // another without allocating.
    void restart(const SamplerParams& params);

private:
    struct Candidate {
        TokenId id;
        float logit;
        float p;
    };
    void apply_penalties(std::span<float> logits, std::span<const TokenId> recent);
    void truncate_top_k();
    void softmax_candidates();
    void truncate_top_p();
    void truncate_min_p();

    SamplerParams params_;
    std::mt19937_64 rng_;
    std::vector<Candidate> candidates_;
    std::vector<int32_t> counts_;  // per-token occurrences in the window
    // measure_logprobs: the logits as given, their log-sum-exp, the best few.
    std::vector<float> measured_;
    float log_sum_exp_ = 0.0f;
    std::vector<TokenProbability> top_;
};

}  // namespace clawbot
