#include "engine/model/moe_routing.h"

#include <algorithm>
#include <cmath>

namespace clawbot {

MoeRouting::MoeRouting(int max_tokens, int experts, int used)
    : experts_(experts),
      used_(used),
      probs_(static_cast<size_t>(experts)),
      taken_(static_cast<size_t>(experts)),
      chosen_(static_cast<size_t>(max_tokens) * used),
      chosen_weight_(static_cast<size_t>(max_tokens) * used),
      begin_(static_cast<size_t>(experts) + 1),
      slots_(static_cast<size_t>(max_tokens) * used) {}

void MoeRouting::route(const float* logits, size_t stride, int n_tokens) {
    std::fill(begin_.begin(), begin_.end(), 0);
    for (int t = 0; t < n_tokens; ++t) {
        const float* row = logits + static_cast<size_t>(t) * stride;
        const float max = *std::max_element(row, row + experts_);
        float sum = 0.0f;
        for (int e = 0; e < experts_; ++e) {
            probs_[static_cast<size_t>(e)] = std::exp(row[e] - max);
            sum += probs_[static_cast<size_t>(e)];
        }
        for (float& p : probs_) p /= sum;
        // Top k by probability, the lower expert id first on ties; k is
        // small, so k passes over the experts beat a sort.
        int32_t* chosen = chosen_.data() + static_cast<size_t>(t) * used_;
        float* weight = chosen_weight_.data() + static_cast<size_t>(t) * used_;
        float chosen_sum = 0.0f;
        for (int k = 0; k < used_; ++k) {
            int best = -1;
            for (int e = 0; e < experts_; ++e) {
                if (taken_[static_cast<size_t>(e)]) continue;
                if (best < 0 || probs_[static_cast<size_t>(e)] > probs_[static_cast<size_t>(best)]) best = e;
            }
            taken_[static_cast<size_t>(best)] = 1;
            chosen[k] = best;
            weight[k] = probs_[static_cast<size_t>(best)];
            chosen_sum += weight[k];
            ++begin_[static_cast<size_t>(best) + 1];
        }
        for (int k = 0; k < used_; ++k) {
            weight[k] /= chosen_sum;
            taken_[static_cast<size_t>(chosen[k])] = 0;
        }
    }
    for (int e = 0; e < experts_; ++e) begin_[static_cast<size_t>(e) + 1] += begin_[static_cast<size_t>(e)];
    // Counting sort into the buckets, keeping token order within each:
    // begin_[e] serves as bucket e's cursor and ends at its end, which is
    // bucket e + 1's start; one shift then restores the starts.
    for (int t = 0; t < n_tokens; ++t) {
        for (int k = 0; k < used_; ++k) {
            const size_t at = static_cast<size_t>(t) * used_ + k;
            const auto e = static_cast<size_t>(chosen_[at]);
            slots_[static_cast<size_t>(begin_[e]++)] = {t, chosen_weight_[at]};
        }
    }
    for (int e = experts_; e > 0; --e) begin_[static_cast<size_t>(e)] = begin_[static_cast<size_t>(e) - 1];
    begin_[0] = 0;
}

}  // namespace clawbot
