#pragma once
// Keeps a long conversation going: when its prompt would leave the reply too
// little of the context, the oldest turns are dropped (a user turn with the
// assistant turns that answered it, so roles still alternate), keeping every
// system message and the latest question. The stored history is not touched;
// only the prompt of this one reply is shorter.
#include <cstdint>
#include <functional>
#include <vector>

#include "common/result.h"
#include "service/provider/provider.h"

namespace clawbot::service {

struct FittedPrompt {
    std::vector<std::int32_t> tokens;  // the prompt of the turns kept
    int dropped_turns = 0;             // messages left out, oldest first
};

struct FitLimits {
    int context_size = 0;
    // Tokens the reply should have room for; turns are dropped until it has
    // (or nothing more can go).
    int reply_room = 1;
};

// `tokenize`: the whole prompt of some messages (template and all).
// `estimate`: a quick count for one message (its text alone), used to pick
// how many turns to drop before the prompt is tokenized again, so a long
// history costs a couple of tokenizations rather than one per turn.
using PromptTokenizer = std::function<Result<std::vector<std::int32_t>>(const std::vector<ChatTurn>&)>;
using TurnEstimator = std::function<int(const ChatTurn&)>;

Result<FittedPrompt> fit_history(const std::vector<ChatTurn>& messages, const FitLimits& limits,
                                 const PromptTokenizer& tokenize, const TurnEstimator& estimate);

}  // namespace clawbot::service
