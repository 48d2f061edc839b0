// GrammarMatcher on bytes: JSON, repetitions, alternatives, UTF-8 split at
// every byte, can_end, unchanged state after a rejection, and the bounds that
// keep pathological grammars from exploding.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "grammar_test_data.h"

namespace clawbot {
namespace {

using test::compile;
using test::matches;
using test::matches_bytewise;

// matches() and matches_bytewise() agree, and say `expected`.
void expect_match(const std::shared_ptr<const Grammar>& g, std::string_view text, bool expected) {
    EXPECT_EQ(matches(g, text), expected) << "text: " << text;
    EXPECT_EQ(matches_bytewise(g, text), expected) << "text (byte by byte): " << text;
}

TEST(GrammarMatcher, Json) {
    const auto g = compile(test::kJsonGrammar);
    ASSERT_TRUE(g);
    for (const char* ok : {
             R"({})", R"([])", R"("")", R"(0)", R"(-0.5e+10)", R"(true)", R"(null)", R"(  false  )",
             R"({"a": 1, "b": [1, 2.5, -3e2, "x", true, false, null, {}], "c": {"d": "e\"f\\g\n\u00e9"}})",
             "{\n  \"k\" : [ ]\n}\n", R"("caf\u00E9 \/ \b\f\r\t")", "\"\xE6\x97\xA5\xE6\x9C\xAC\"",
             R"([[[[[[[[[[1]]]]]]]]]])"}) {
        expect_match(g, ok, true);
    }
    for (const char* bad : {
             R"({)", R"({"a"})", R"({"a":})", R"({a: 1})", R"([1,])", R"([1 2])", R"(01)", R"(1.)", R"(.5)",
             R"(-)", R"(1e)", R"("abc)", R"("\x")", R"("\u12")", R"(tru)", R"(nul l)", R"({"a":1,})",
             "\"tab\there\"", R"({} {})", R"('single')"}) {
        expect_match(g, bad, false);
    }
}

TEST(GrammarMatcher, RepetitionBounds) {
    const auto g = compile(R"(root ::= "a"{2,4} "b"{3} "c"{2,} "d"? "e"* "f"+)");
    ASSERT_TRUE(g);
    expect_match(g, "aabbbccf", true);
    expect_match(g, "aaaabbbcccccdeeeff", true);
    expect_match(g, "abbbccf", false);      // a{2,4}: too few
    expect_match(g, "aaaaabbbccf", false);  // too many
    expect_match(g, "aabbccf", false);      // b{3}
    expect_match(g, "aabbbbccf", false);
    expect_match(g, "aabbbcf", false);      // c{2,}
    expect_match(g, "aabbbccddf", false);   // d?
    expect_match(g, "aabbbcc", false);      // f+

    GrammarMatcher m(g);
    EXPECT_TRUE(m.accept_bytes("aaaa"));
    EXPECT_FALSE(m.accept_bytes("a"));  // a fifth a is refused as soon as it comes
}

TEST(GrammarMatcher, Alternatives) {
    const auto g = compile(R"(root ::= ( "cat" | "car" | "cart" | "dog" ) ( "s" | "" ))");
    ASSERT_TRUE(g);
    for (const char* ok : {"cat", "car", "cart", "carts", "dogs"}) expect_match(g, ok, true);
    for (const char* bad : {"ca", "cats!", "do", "cog", ""}) expect_match(g, bad, false);
}

TEST(GrammarMatcher, Utf8LiteralsAndRangesSplitAnywhere) {
    const auto g = compile(R"(root ::= "αβ" [α-ω]+ "✓"? "😀"*)");
    ASSERT_TRUE(g);
    const std::string text = "αβγδω✓😀😀";
    expect_match(g, text, true);
    // Split into two calls at every byte.
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        GrammarMatcher m(g);
        EXPECT_TRUE(m.accept_bytes(text.substr(0, cut))) << cut;
        EXPECT_TRUE(m.accept_bytes(text.substr(cut))) << cut;
        EXPECT_TRUE(m.can_end()) << cut;
    }
    expect_match(g, "αβ", false);     // [α-ω]+ needs one
    expect_match(g, "αβA", false);
    expect_match(g, "αβЖ", false);    // Cyrillic, outside α-ω
    expect_match(g, "αβγ✓✓", false);

    GrammarMatcher m(g);
    ASSERT_TRUE(m.accept_bytes("αβ"));
    EXPECT_TRUE(m.accept_bytes("\xCE"));  // first byte of γ (CE B3): γ can still come
    EXPECT_FALSE(m.can_end());            // not while a character is half-read
    EXPECT_FALSE(m.accept_bytes("\xCE"));  // a lead byte where a continuation must be
    EXPECT_TRUE(m.accept_bytes("\xB3"));
    EXPECT_TRUE(m.can_end());
    EXPECT_FALSE(m.accept_bytes("\xD0"));  // Ж starts with D0: no character from D0 is in α-ω
    EXPECT_TRUE(m.accept_bytes("\xF0\x9F"));  // half of 😀
    EXPECT_FALSE(m.accept_bytes("\x98\x81"));  // 😁 is not 😀
    EXPECT_TRUE(m.accept_bytes("\x98\x80"));
    EXPECT_TRUE(m.can_end());
}

TEST(GrammarMatcher, InvalidUtf8IsRejected) {
    const auto g = compile("root ::= .*");
    ASSERT_TRUE(g);
    expect_match(g, "any \xE2\x82\xAC \xF4\x8F\xBF\xBF", true);  // up to U+10FFFF
    for (const char* bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80",
                            "\xF0\x80\x80\x80", "\xF4\x90\x80\x80", "\xF5", "\xFF", "\x80", "\xC3\xC3"}) {
        GrammarMatcher m(g);
        EXPECT_FALSE(m.accept_bytes(bad)) << testing::PrintToString(bad);
    }
    GrammarMatcher m(g);
    EXPECT_FALSE(m.accept_bytes("\xE0\x80"));  // overlong already at its second byte
    EXPECT_FALSE(m.accept_bytes("\xED\xA0"));  // a surrogate, likewise
    EXPECT_TRUE(m.accept_bytes("\xED\x9F"));   // U+D7C0..U+D7FF can still come
}

TEST(GrammarMatcher, RejectionLeavesTheStateAsItWas) {
    const auto g = compile(R"(root ::= "ab" "c"+)");
    ASSERT_TRUE(g);
    GrammarMatcher m(g);
    EXPECT_FALSE(m.accept_bytes("ax"));
    EXPECT_FALSE(m.can_accept_bytes("b"));
    EXPECT_TRUE(m.can_accept_bytes("abc"));
    EXPECT_TRUE(m.accept_bytes("ab"));
    EXPECT_FALSE(m.can_end());
    EXPECT_FALSE(m.accept_bytes("cd"));  // the c is not kept either
    EXPECT_TRUE(m.accept_bytes("c"));
    EXPECT_TRUE(m.can_end());
    EXPECT_TRUE(m.accept_bytes(""));
    EXPECT_TRUE(m.accept_bytes("cc"));
    EXPECT_TRUE(m.can_end());
    m.reset();
    EXPECT_FALSE(m.can_end());
    EXPECT_TRUE(m.accept_bytes("abc"));
}

TEST(GrammarMatcher, CanEnd) {
    const auto g = compile(R"(root ::= "x" ( "y" "z" )?)");
    ASSERT_TRUE(g);
    GrammarMatcher m(g);
    EXPECT_FALSE(m.can_end());
    ASSERT_TRUE(m.accept_bytes("x"));
    EXPECT_TRUE(m.can_end());
    ASSERT_TRUE(m.accept_bytes("y"));
    EXPECT_FALSE(m.can_end());
    ASSERT_TRUE(m.accept_bytes("z"));
    EXPECT_TRUE(m.can_end());
    EXPECT_FALSE(m.accept_bytes("z"));
}

TEST(GrammarMatcher, NullableRepetitionAndTailCyclesTerminate) {
    const auto g = compile(R"(root ::= ( "a"? "b"? )* "c"
)");
    ASSERT_TRUE(g);
    expect_match(g, "c", true);
    expect_match(g, "ababbac", true);
    expect_match(g, "abd", false);
    const auto cyc = compile("root ::= a\na ::= b | \"x\"\nb ::= a");
    ASSERT_TRUE(cyc);
    expect_match(cyc, "x", true);
    expect_match(cyc, "", false);
}

TEST(GrammarMatcher, DeepNestingStaysCorrectPastCompaction) {
    // 150k open brackets: more stack nodes than the arena keeps before it
    // is rebuilt around the live stacks.
    const auto g = compile(R"(root ::= "[" root "]" | "x")");
    ASSERT_TRUE(g);
    GrammarMatcher m(g);
    const int depth = 150000;
    for (int i = 0; i < depth; ++i) ASSERT_TRUE(m.accept_bytes("[")) << i;
    ASSERT_TRUE(m.accept_bytes("x"));
    for (int i = 0; i < depth; ++i) {
        ASSERT_FALSE(m.can_end());
        ASSERT_TRUE(m.accept_bytes("]")) << i;
    }
    EXPECT_TRUE(m.can_end());
    EXPECT_FALSE(m.accept_bytes("]"));
}

TEST(GrammarMatcher, AmbiguityPastTheStackCapIsRefusedNotAllocated) {
    // After n a's every choice of pending b/c/nothing is a distinct stack:
    // 3^n of them, capped at kMaxStacks.
    const auto g = compile(R"(root ::= s
s ::= "a" s "b" | "a" s "c" | "a" s | "")");
    ASSERT_TRUE(g);
    GrammarMatcher m(g);
    int accepted = 0;
    while (accepted < 64 && m.accept_bytes("a")) ++accepted;
    EXPECT_GE(accepted, 5);
    EXPECT_LT(accepted, 64);  // refused once the stacks would pass the cap
    EXPECT_TRUE(m.can_end());
    EXPECT_TRUE(m.accept_bytes("bc"));
}

}  // namespace
}  // namespace clawbot
