// StopMatcher: stop strings found across streamed pieces, and never a byte
// of one shown to the client.
#include "service/provider/stop_matcher.h"

#include <gtest/gtest.h>

namespace clawbot::service {
namespace {

TEST(StopMatcher, WithoutStopsTextPassesThrough) {
    StopMatcher m({});
    EXPECT_EQ(m.push("Hello"), "Hello");
    EXPECT_EQ(m.push(" world"), " world");
    EXPECT_EQ(m.flush(), "");
    EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, AStopSplitAcrossPiecesIsHeldBackThenDropped) {
    StopMatcher m({"</end>"});
    EXPECT_EQ(m.push("The story </"), "The story ");
    EXPECT_EQ(m.push("en"), "");
    EXPECT_EQ(m.push("d> and after"), "");
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.push("more"), "");
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, AHeldPrefixThatTurnsOutNotToBeAStopIsReleased) {
    StopMatcher m({"STOP"});
    EXPECT_EQ(m.push("go ST"), "go ");
    EXPECT_EQ(m.push("ART"), "START");
    EXPECT_FALSE(m.stopped());
    EXPECT_EQ(m.push("ST"), "");
    EXPECT_EQ(m.flush(), "ST") << "the stream ended: what was held is text";
}

TEST(StopMatcher, TheEarliestOfSeveralStopsWins) {
    StopMatcher m({"world", "lo w"});
    EXPECT_EQ(m.push("Hello world"), "Hel");
    EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, AStopAtTheVeryStartGivesNothing) {
    StopMatcher m({"\n\n"});
    EXPECT_EQ(m.push("\n"), "");
    EXPECT_EQ(m.push("\nanything"), "");
    EXPECT_TRUE(m.stopped());
}

}  // namespace
}  // namespace clawbot::service
