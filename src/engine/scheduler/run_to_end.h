#pragma once
// One request through an InferenceEngine, waited for to its end: how
// `clawbot generate`, `bench` and the conformance tests run the model. It
// is the scheduler path that serves users, with a batch of one, so what
// they check and measure is what users get.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/scheduler/engine.h"

namespace clawbot {

struct CompletedRun {
    std::vector<TokenId> tokens;  // generated, in order
    std::string text;             // their text, whole UTF-8 characters
    FinishReason finish = FinishReason::Stop;
    Usage usage;
    // With want_logits: the logits the first token was sampled from (those
    // after the prompt's last token).
    std::vector<float> first_logits;
    // When each generated token arrived, in seconds after submit(): [0] is
    // the time to the first token (prefill), the rest the decode steps.
    std::vector<double> token_times_s;
};

// Submits `request` (its sink is replaced) and blocks until it finishes.
// `on_text`, if set, gets each piece of text as it completes, on the engine
// thread. An engine error or a refused submit is an error.
Result<CompletedRun> run_to_end(InferenceEngine& engine, GenerationRequest request,
                                std::function<void(std::string_view)> on_text = {});

}  // namespace clawbot
