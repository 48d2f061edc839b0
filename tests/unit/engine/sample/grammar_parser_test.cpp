// Grammar::parse: every construct of the GBNF dialect, and a clear error
// (with line:column) for each kind of bad grammar, including hostile ones.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "grammar_test_data.h"

namespace clawbot {
namespace {

using test::compile;
using test::matches;

// The error message of a grammar that must not parse.
std::string error_of(std::string_view text) {
    auto g = Grammar::parse(text);
    if (g) return "(parsed)";
    return g.error().message;
}

TEST(GrammarParser, AcceptsEveryConstruct) {
    const auto g = compile(R"(
# a comment line
root ::= greeting " " name tail? digits{2} hex{1,3} letters{2,} any   # trailing comment
greeting ::= "hi" | "hello"
  | "hey"                          # alternatives over several lines
name  ::= [A-Z] [a-z_-]*
tail  ::= ( "!" | "?" )+
digits ::= [0-9]
hex ::= [0-9a-fA-F]
letters ::= [^0-9\]\x20\n]
any ::= .
)");
    ASSERT_TRUE(g);
    EXPECT_TRUE(matches(g, "hi Bob!?12abcXY."));
    EXPECT_TRUE(matches(g, "hello Ann_x-y01fffzzé"));
    EXPECT_TRUE(matches(g, "hey Z99aZZ\xF0\x9F\x98\x80"));  // . takes a 4-byte character
    EXPECT_FALSE(matches(g, "hi bob!12aXY."));              // name starts with a capital
    EXPECT_FALSE(matches(g, "hi Bob1aXY."));                // digits{2}
    EXPECT_FALSE(matches(g, "hi Bob12gXY."));               // hex{1,3} needs one
    EXPECT_FALSE(matches(g, "hi Bob12a]X."));               // ] is excluded from letters
}

TEST(GrammarParser, StringAndClassEscapes) {
    const auto g = compile(R"(root ::= "\n\t\r\\\"\x41\u00e9\U0001F600" [\x00-\x08\]\-\^] [^"\\])");
    ASSERT_TRUE(g);
    EXPECT_TRUE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "\x05" "a"));
    EXPECT_TRUE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "]" "'"));
    EXPECT_TRUE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "-" "a"));
    EXPECT_TRUE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "^" "a"));
    EXPECT_FALSE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "a" "a"));
    EXPECT_FALSE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "-" "\""));
    EXPECT_FALSE(matches(g, "\n\t\r\\\"A\xC3\xA9\xF0\x9F\x98\x80" "-" "\\"));
}

TEST(GrammarParser, RulesEndWhereTheNextRuleBegins) {
    const auto g = compile("root ::= a\n  b\na ::= \"x\"\n\nb ::= \"y\"\n  | \"z\"");
    ASSERT_TRUE(g);
    EXPECT_TRUE(matches(g, "xy"));
    EXPECT_TRUE(matches(g, "xz"));
    EXPECT_FALSE(matches(g, "x"));
}

TEST(GrammarParser, EmptyStringAndEmptyAlternatives) {
    const auto g = compile(R"(root ::= "a" ( "b" | ) "" "c")");
    ASSERT_TRUE(g);
    EXPECT_TRUE(matches(g, "abc"));
    EXPECT_TRUE(matches(g, "ac"));
    EXPECT_TRUE(matches(compile(R"(root ::= "")"), ""));
}

struct BadGrammar {
    const char* text;
    const char* message;  // expected substring
};

TEST(GrammarParser, RejectsMalformedGrammarsWithWhereAndWhat) {
    const std::vector<BadGrammar> cases = {
        {R"(root ::= "abc)", "1:10: unterminated string literal"},
        {"root ::= \"ab\ncd\"", "1:10: unterminated string literal"},
        {"root ::= foo", "1:10: undefined rule 'foo'"},
        {"root ::= \"a\"\nb ::= c d\nc ::= \"x\"", "2:9: undefined rule 'd'"},
        {"a ::= \"x\"", "no rule named 'root'"},
        {"", "no rule named 'root'"},
        {"# only a comment\n", "no rule named 'root'"},
        {"root ::=", "1:6: rule 'root' is empty"},
        {"root ::=   # nothing\nnext ::= \"x\"", "1:6: rule 'root' is empty"},
        {"root ::= [z-a]", "1:11: bad character class: range end comes before its start"},
        {"root ::= []", "1:10: bad character class: it is empty"},
        {"root ::= [abc", "1:10: unterminated character class"},
        {"root ::= [abc\n]", "1:10: unterminated character class"},
        {R"(root ::= "\q")", "1:11: unknown escape '\\q'"},
        {R"(root ::= "\x4")", "expected 2 hex digits"},
        {R"(root ::= "\uD800")", "not a Unicode scalar value"},
        {"root = \"a\"", "1:6: expected '::=' after the rule name 'root'"},
        {"::= \"a\"", "1:1: expected a rule name"},
        {"root ::= \"a\"\nroot ::= \"b\"", "2:1: rule 'root' is defined twice (first at 1:1)"},
        {"root ::= (\"a\" | \"b\"", "expected ')' to close the group opened at 1:10"},
        {"root ::= (\"a\"\nx ::= \"b\"", "expected ')' to close the group opened at 1:10"},
        {"root ::= \"a\")", "1:13: unexpected ')'"},
        {"root ::= \"a\" @", "1:14: expected an element"},
        {"root ::= \"a\"{3,1}", "n less than m"},
        {"root ::= \"a\"{x}", "expected a number in {m,n}"},
        {"root ::= \"a\"{2", "expected '}'"},
        {"root ::= \"a\"{5000}", "repetition count 5000 is over the limit of 4096"},
        {"root ::= \"a\"{1,99999999999999999999}", "is over the limit of 4096"},
        {"root ::= \"\xC3\x28\"", "invalid UTF-8"},
        {"root ::= root \"a\" | \"a\"", "rule 'root' is left-recursive: it can begin with itself"},
        {"root ::= a\na ::= b \"x\"\nb ::= a \"y\" | \"z\"", "is left-recursive"},
        {"root ::= e root \"x\" | \"y\"\ne ::= \"a\"?", "rule 'root' is left-recursive"},
        {"root ::= (root \"a\")* \"b\"", "rule 'root' is left-recursive"},
    };
    for (const auto& c : cases) {
        EXPECT_NE(error_of(c.text).find(c.message), std::string::npos)
            << "grammar: " << c.text << "\nexpected: " << c.message << "\ngot: " << error_of(c.text);
    }
}

TEST(GrammarParser, RecursionThatReadsTextFirstIsFine) {
    EXPECT_TRUE(compile(R"(root ::= "a" root | "")"));          // right recursion
    EXPECT_TRUE(compile(R"(root ::= ( "a"? )* "b")"));          // x* of a nullable x
    EXPECT_TRUE(compile(R"g(root ::= "(" root ")" | "x")g"));  // nesting
    EXPECT_TRUE(compile(R"(root ::= a
a ::= b | "x"
b ::= a)"));  // a cycle with nothing after either reference grows no stack
}

TEST(GrammarParser, NestingIsCappedAt64) {
    const auto nested = [](int depth) {
        return "root ::= " + std::string(static_cast<size_t>(depth), '(') + "\"a\" | \"b\"" +
               std::string(static_cast<size_t>(depth), ')');
    };
    EXPECT_TRUE(compile(nested(64)));
    EXPECT_NE(error_of(nested(65)).find("groups nested deeper than 64"), std::string::npos) << error_of(nested(65));
    // Far deeper: still an error, not a stack overflow.
    EXPECT_NE(error_of(nested(100000)).find("nested deeper"), std::string::npos);
}

TEST(GrammarParser, ExpansionOfRepetitionsIsBounded) {
    // Each rule is within the per-repetition limit; together they are too many.
    std::string text = "root ::= r0\n";
    for (int i = 0; i < 40; ++i) {
        text += "r" + std::to_string(i) + " ::= \"a\"{0,4096} r" + std::to_string(i + 1) + "\n";
    }
    text += "r40 ::= \"z\"\n";
    EXPECT_NE(error_of(text).find("grammar too large"), std::string::npos) << error_of(text);

    const auto g = compile(R"(root ::= ( "ab" ){4096} "c"{0,4096})");
    ASSERT_TRUE(g);
    EXPECT_LT(g->element_count(), size_t{32768});
    std::string text_ok;
    for (int i = 0; i < 4096; ++i) text_ok += "ab";
    EXPECT_TRUE(matches(g, text_ok + "ccc"));
    EXPECT_FALSE(matches(g, text_ok.substr(2) + "ccc"));

    const std::string big(GrammarLimits::kMaxTextBytes + 1, ' ');
    EXPECT_NE(error_of(big).find("more than the limit"), std::string::npos);
}

// Random grammar-like text: the parser answers (a grammar or an error),
// never crashes, and a grammar it accepts can be matched.
TEST(GrammarParser, SurvivesRandomInput) {
    const std::vector<std::string> pieces = {
        "\"a\"", "\"b\"", "[a-c]", "[^a]", ".", "x", "root", "(", ")", "|", "*", "+", "?", "{2}", "{1,3}",
        "{2,}", " ", "\n", "\nx ::= ", "\"\\n\"", "#c\n", "\"", "[", "]", "\\", "{", "::=", "\"\xC3\xA9\""};
    std::mt19937 rng(1234);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string text = "root ::= ";
        const size_t n = rng() % 12;
        for (size_t k = 0; k < n; ++k) text += pieces[rng() % pieces.size()];
        auto g = Grammar::parse(text);
        if (!g) {
            EXPECT_FALSE(g.error().message.empty());
            continue;
        }
        ++parsed;
        GrammarMatcher m(std::make_shared<const Grammar>(std::move(g).value()));
        for (int k = 0; k < 20; ++k) {
            const char c = "ab\"()0x\xC3\xA9"[rng() % 10];
            (void)m.accept_bytes(std::string_view(&c, 1));
        }
        (void)m.can_end();
    }
    EXPECT_GT(parsed, 10);
}

}  // namespace
}  // namespace clawbot
