#include "engine/sample/sampler.h"

#include <algorithm>
#include <cmath>

namespace clawbot {

Sampler::Sampler(const SamplerParams& params, int n_vocab)
    : params_(params), rng_(params.seed), counts_(static_cast<size_t>(n_vocab), 0) {
    candidates_.reserve(static_cast<size_t>(n_vocab));
    top_.reserve(kMaxTopLogprobs + 1);
}

void Sampler::restart(const SamplerParams& params) {
    params_ = params;
    rng_.seed(params.seed);
}

void Sampler::measure_logprobs(std::span<const float> logits, int top_n) {
    measured_.assign(logits.begin(), logits.end());  // capacity kept: no allocation after the first step
    float max = -INFINITY;
    for (float l : logits) max = std::max(max, l);
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - max));
    log_sum_exp_ = max + static_cast<float>(std::log(sum));
    // The best few by insertion into a sorted list of at most top_n.
    const size_t n = static_cast<size_t>(std::clamp(top_n, 0, kMaxTopLogprobs));
    top_.clear();
    if (n == 0) return;
    for (size_t i = 0; i < logits.size(); ++i) {
        const float l = logits[i];
        if (top_.size() == n && l <= top_.back().logprob) continue;
        if (top_.size() == n) top_.pop_back();
        auto at = std::upper_bound(top_.begin(), top_.end(), l,
                                   [](float value, const TokenProbability& t) { return value > t.logprob; });
        top_.insert(at, {static_cast<TokenId>(i), l});
    }
    for (TokenProbability& t : top_) t.logprob -= log_sum_exp_;
}

float Sampler::logprob_of(TokenId token) const {
    if (token < 0 || static_cast<size_t>(token) >= measured_.size()) return -INFINITY;
    return measured_[static_cast<size_t>(token)] - log_sum_exp_;
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const TokenId> recent) {
    const bool any = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f;
    if (!any || params_.repeat_last_n == 0) return;
    const size_t window = params_.repeat_last_n < 0 ? recent.size() : std::min(recent.size(), static_cast<size_t>(params_.repeat_last_n));
    const auto last = recent.subspan(recent.size() - window);
    for (TokenId id : last) {
        if (id >= 0 && static_cast<size_t>(id) < counts_.size()) ++counts_[static_cast<size_t>(id)];
    }
    for (TokenId id : last) {
        if (id < 0 || static_cast<size_t>(id) >= counts_.size()) continue;
        int32_t& count = counts_[static_cast<size_t>(id)];
        if (count == 0) continue;  // already applied for this token
        float& l = logits[static_cast<size_t>(id)];
        l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
        l -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
        count = 0;
    }
}

void Sampler::truncate_top_k() {
    const int k = params_.top_k;
    if (k <= 0 || static_cast<size_t>(k) >= candidates_.size()) {
        std::sort(candidates_.begin(), candidates_.end(), [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
        return;
    }
    std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.end(),
                      [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
    candidates_.resize(static_cast<size_t>(k));
}

void Sampler::softmax_candidates() {
    const float max = candidates_.front().logit;  // sorted descending
    double sum = 0.0;
    for (Candidate& c : candidates_) {
        c.p = std::exp(c.logit - max);
        sum += c.p;
    }
    for (Candidate& c : candidates_) c.p = static_cast<float>(c.p / sum);
}

void Sampler::truncate_top_p() {
    if (params_.top_p >= 1.0f) return;
    double cum = 0.0;
    size_t keep = candidates_.size();
    for (size_t i = 0; i < candidates_.size(); ++i) {
        cum += candidates_[i].p;
        if (cum >= params_.top_p) {
            keep = i + 1;
            break;
        }
    }
    candidates_.resize(keep);
}

void Sampler::truncate_min_p() {
    if (params_.min_p <= 0.0f) return;
    const float threshold = candidates_.front().p * params_.min_p;
    size_t keep = 1;
    while (keep < candidates_.size() && candidates_[keep].p >= threshold) ++keep;
    candidates_.resize(keep);
}

TokenId Sampler::sample(std::span<float> logits, std::span<const TokenId> recent) {
    for (const TokenBias& b : params_.logit_bias) {
        if (b.token >= 0 && static_cast<size_t>(b.token) < logits.size()) logits[static_cast<size_t>(b.token)] += b.bias;
    }
    apply_penalties(logits, recent);
    if (params_.temperature <= 0.0f) {
        return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    candidates_.clear();
    for (size_t i = 0; i < logits.size(); ++i) candidates_.push_back({static_cast<TokenId>(i), logits[i] / params_.temperature, 0.0f});
    truncate_top_k();
    softmax_candidates();
    truncate_top_p();
    truncate_min_p();
    double total = 0.0;
    for (const Candidate& c : candidates_) total += c.p;
    std::uniform_real_distribution<double> dist(0.0, total);
    double r = dist(rng_);
    for (const Candidate& c : candidates_) {
        r -= c.p;
        if (r <= 0.0) return c.id;
    }
    return candidates_.back().id;
}

}  // namespace clawbot
