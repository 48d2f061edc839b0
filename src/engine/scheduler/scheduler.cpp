#include "engine/scheduler/scheduler.h"

#include <algorithm>

namespace clawbot {

void Scheduler::admit(std::deque<Sequence*>& waiting, std::vector<Sequence*>& running, KvManager& kv) const {
    while (!waiting.empty() && static_cast<int>(running.size()) < limits_.max_running) {
        Sequence* seq = waiting.front();
        // An embedding needs every prompt token's hidden state: no cached prefix.
        const std::span<const int32_t> reusable =
            seq->request.embed ? std::span<const int32_t>{}
                               : std::span<const int32_t>(seq->tokens.data(), static_cast<size_t>(seq->n_prompt));
        auto reservation = kv.reserve(reusable, seq->n_prompt + seq->request.max_tokens);
        if (!reservation) return;
        seq->kv = std::move(reservation->kv);
        seq->n_computed = reservation->cached_tokens;
        seq->usage.cached_tokens = reservation->cached_tokens;
        running.push_back(seq);
        waiting.pop_front();
    }
}

StepPlan Scheduler::plan(const std::vector<Sequence*>& running) const {
    StepPlan plan;
    // Decode first: every sequence past its prompt advances by one token.
    for (Sequence* seq : running) {
        if (seq->prefilling()) continue;
        plan.entries.push_back({seq, seq->n_computed, 1, true});
        ++plan.n_tokens;
    }
    // Then prompt slices, oldest first, within what is left of the budget.
    int budget = std::max(limits_.step_token_budget - plan.n_tokens, 0);
    for (Sequence* seq : running) {
        if (!seq->prefilling() || budget == 0) continue;
        const int count = std::min(seq->pending(), budget);
        plan.entries.push_back({seq, seq->n_computed, count, count == seq->pending()});
        plan.n_tokens += count;
        budget -= count;
    }
    return plan;
}

}  // namespace clawbot
