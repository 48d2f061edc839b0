#include "service/provider/history_fit.h"

#include <algorithm>

namespace clawbot::service {
namespace {

// Template markup around one message (role header, end marker): a rough
// figure, only used to choose where to cut before measuring for real.
constexpr int kTurnOverheadTokens = 6;

// The indices of the oldest droppable exchange: the first non-system
// message, and the assistant messages right after it (never the last
// message, the question being asked).
std::vector<std::size_t> oldest_exchange(const std::vector<ChatTurn>& messages) {
    std::vector<std::size_t> out;
    const std::size_t last = messages.size() - 1;
    std::size_t i = 0;
    while (i < last && messages[i].role == "system") ++i;
    if (i >= last) return out;
    out.push_back(i++);
    while (i < last && messages[i].role == "assistant") out.push_back(i++);
    return out;
}

int drop_exchange(std::vector<ChatTurn>& messages, const TurnEstimator& estimate) {
    const std::vector<std::size_t> drop = oldest_exchange(messages);
    int freed = 0;
    for (auto it = drop.rbegin(); it != drop.rend(); ++it) {
        freed += estimate(messages[*it]) + kTurnOverheadTokens;
        messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    return freed;
}

}  // namespace

Result<FittedPrompt> fit_history(const std::vector<ChatTurn>& messages, const FitLimits& limits,
                                 const PromptTokenizer& tokenize, const TurnEstimator& estimate) {
    if (messages.empty()) return make_error("no messages");
    const int budget = limits.context_size - std::max(limits.reply_room, 1);
    auto tokens = tokenize(messages);
    if (!tokens) return tokens.error();
    if (static_cast<int>(tokens->size()) <= budget) return FittedPrompt{std::move(*tokens), 0};

    std::vector<ChatTurn> kept = messages;
    for (;;) {
        // Drop by estimate until the excess is covered, then measure.
        int excess = static_cast<int>(tokens->size()) - budget;
        bool dropped_any = false;
        while (excess > 0 && !oldest_exchange(kept).empty()) {
            excess -= drop_exchange(kept, estimate);
            dropped_any = true;
        }
        if (!dropped_any) break;  // nothing left to drop: the caller decides what fits
        tokens = tokenize(kept);
        if (!tokens) return tokens.error();
        if (static_cast<int>(tokens->size()) <= budget) break;
    }
    return FittedPrompt{std::move(*tokens), static_cast<int>(messages.size() - kept.size())};
}

}  // namespace clawbot::service
