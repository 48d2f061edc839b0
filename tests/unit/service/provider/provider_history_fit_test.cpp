#include <gtest/gtest.h>

#include "service/provider/history_fit.h"

namespace clawbot::service {
namespace {

// A stand-in prompt: 2 tokens of markup per message plus one per character.
Result<std::vector<std::int32_t>> fake_prompt(const std::vector<ChatTurn>& turns) {
    std::vector<std::int32_t> tokens;
    for (const ChatTurn& t : turns) tokens.insert(tokens.end(), t.content.size() + 2, 1);
    return tokens;
}
int fake_estimate(const ChatTurn& t) { return static_cast<int>(t.content.size()); }

std::vector<ChatTurn> conversation(int exchanges) {
    std::vector<ChatTurn> m{{"system", std::string(10, 's')}};
    for (int i = 0; i < exchanges; ++i) {
        m.push_back({"user", std::string(20, 'u')});
        m.push_back({"assistant", std::string(20, 'a')});
    }
    m.push_back({"user", std::string(20, 'q')});
    return m;
}

TEST(HistoryFit, AFittingConversationIsLeftWhole) {
    const auto fitted = fit_history(conversation(3), {1000, 100}, fake_prompt, fake_estimate);
    ASSERT_TRUE(fitted);
    EXPECT_EQ(fitted->dropped_turns, 0);
    EXPECT_EQ(fitted->tokens.size(), 12u + 6 * 22 + 22);
}

TEST(HistoryFit, OldestExchangesGoFirstKeepingSystemAndQuestion) {
    std::vector<ChatTurn> seen;
    const auto fitted = fit_history(
        conversation(10), {200, 50},
        [&](const std::vector<ChatTurn>& turns) {
            seen = turns;
            return fake_prompt(turns);
        },
        fake_estimate);
    ASSERT_TRUE(fitted);
    EXPECT_LE(static_cast<int>(fitted->tokens.size()), 150);
    EXPECT_GT(static_cast<int>(fitted->tokens.size()), 150 - 44) << "dropped more than needed";
    EXPECT_EQ(fitted->dropped_turns % 2, 0) << "exchanges go whole";
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(seen.front().role, "system");
    EXPECT_EQ(seen[1].role, "user") << "roles still alternate after the system message";
    EXPECT_EQ(seen.back().content, std::string(20, 'q'));
}

TEST(HistoryFit, AQuestionTooLongForAnyHistoryIsLeftToTheCaller) {
    std::vector<ChatTurn> m = conversation(2);
    m.back().content = std::string(500, 'q');
    const auto fitted = fit_history(m, {200, 50}, fake_prompt, fake_estimate);
    ASSERT_TRUE(fitted);
    EXPECT_EQ(fitted->dropped_turns, 4);  // everything droppable went
    EXPECT_GT(fitted->tokens.size(), 200u);  // and it still does not fit: the caller answers 400
}

}  // namespace
}  // namespace clawbot::service
