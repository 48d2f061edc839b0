#pragma once
// Mixture-of-experts routing: each token's router logits pick its top-k
// experts, with weights from a softmax over all experts renormalized over
// the chosen k (as the reference does for qwen3moe). The choices are then
// bucketed by expert, so a batch runs each expert's matrices once for all
// the tokens that chose it: every expert's weights are read once per step,
// not once per token.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace clawbot {

struct ExpertSlot {
    int32_t token;  // row in the batch
    float weight;
};

class MoeRouting {
public:
    // Room for max_tokens tokens choosing `used` of `experts` each; all
    // allocation happens here.
    MoeRouting(int max_tokens, int experts, int used);

    // logits: n_tokens rows of `experts` floats (row stride `stride`).
    void route(const float* logits, size_t stride, int n_tokens);

    int experts() const { return experts_; }
    // The tokens that chose expert e, in token order, and their weights.
    const ExpertSlot* slots(int e) const { return slots_.data() + begin_[static_cast<size_t>(e)]; }
    int count(int e) const { return begin_[static_cast<size_t>(e) + 1] - begin_[static_cast<size_t>(e)]; }

private:
    int experts_, used_;
    std::vector<float> probs_;          // one token's softmax
    std::vector<uint8_t> taken_;        // experts already in the token's top k
    std::vector<int32_t> chosen_;       // [token][used] expert ids
    std::vector<float> chosen_weight_;  // [token][used]
    std::vector<int32_t> begin_;        // experts + 1 bucket starts
    std::vector<ExpertSlot> slots_;     // [tokens * used], bucketed by expert
};

}  // namespace clawbot
