#pragma once
// Decides who runs in the next step. Each step packs one decode token for
// every running sequence, then fills the rest of a token budget with
// slices of pending prompts, so a long prompt never stalls the streams of
// others for more than a step. Knows nothing of kernels or HTTP.
#include <deque>
#include <vector>

#include "engine/kv/kv_manager.h"
#include "engine/scheduler/sequence.h"

namespace clawbot {

struct SchedulerLimits {
    int max_running = 16;        // sequences in the batch at once
    int step_token_budget = 256; // tokens per forward pass
};

struct StepEntry {
    Sequence* seq = nullptr;
    int first = 0;               // index into seq->tokens
    int count = 0;
    bool sample = false;         // the slice ends at the sequence's newest token
};

struct StepPlan {
    std::vector<StepEntry> entries;
    int n_tokens = 0;
    bool empty() const { return entries.empty(); }
};

class Scheduler {
public:
    explicit Scheduler(const SchedulerLimits& limits) : limits_(limits) {}

    // Moves waiting sequences (oldest first) into `running` while there is
    // room in the batch and their KV can be reserved. A request that does not
    // fit waits; nothing behind it jumps the queue.
    void admit(std::deque<Sequence*>& waiting, std::vector<Sequence*>& running, KvManager& kv) const;

    StepPlan plan(const std::vector<Sequence*>& running) const;

    const SchedulerLimits& limits() const { return limits_; }

private:
    SchedulerLimits limits_;
};

}  // namespace clawbot
