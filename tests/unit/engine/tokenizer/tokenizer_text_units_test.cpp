// The tokenizer's text plumbing on its own: lenient and strict UTF-8, the
// GPT-2 byte alphabet and the character classes the patterns use.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/unicode_class.h"
#include "engine/tokenizer/utf8.h"

namespace clawbot {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

std::string sanitized(std::string_view bytes) {
    std::string out;
    utf8::append_sanitized(out, bytes);
    return out;
}

TEST(Utf8, LenientDecodingReplacesEachBadByte) {
    EXPECT_EQ(utf8::decode_lenient("a\xE4\xBD\xA0\xF0\x9F\xA6\x99"), (std::vector<uint32_t>{'a', 0x4F60, 0x1F999}));
    EXPECT_EQ(utf8::decode_lenient("\x80\xFF"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
    // A truncated sequence: its lead fails, then each continuation byte fails alone.
    EXPECT_EQ(utf8::decode_lenient("\xE4\xBDx"), (std::vector<uint32_t>{0xFFFD, 0xFFFD, 'x'}));
    EXPECT_TRUE(utf8::decode_lenient("").empty());
}

TEST(Utf8, EncodesEveryRange) {
    std::string out;
    for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u}) utf8::append(out, cp);
    EXPECT_EQ(out, "$\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88");
    out.clear();
    utf8::append(out, 0x110000);
    EXPECT_EQ(out, kReplacement);
}

TEST(Utf8, SanitizingReplacesMaximalIllFormedSubparts) {
    EXPECT_EQ(sanitized("ok \xE4\xBD\xA0"), "ok \xE4\xBD\xA0");
    EXPECT_EQ(sanitized("\xE4\xBD"), kReplacement);                               // truncated: one subpart
    EXPECT_EQ(sanitized("\xC0\xAF"), kReplacement + kReplacement);                // overlong
    EXPECT_EQ(sanitized("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
    EXPECT_EQ(sanitized("\xF4\x90\x80\x80"), kReplacement + kReplacement + kReplacement + kReplacement);
    EXPECT_EQ(sanitized("a\xE4\xBD" "b"), "a" + kReplacement + "b");
}

TEST(Utf8, UnfinishedTailIsOnlyAWellFormedBeginning) {
    EXPECT_EQ(utf8::unfinished_tail_length("ab"), 0u);
    EXPECT_EQ(utf8::unfinished_tail_length("ab\xE4"), 1u);
    EXPECT_EQ(utf8::unfinished_tail_length("ab\xE4\xBD"), 2u);
    EXPECT_EQ(utf8::unfinished_tail_length("\xF0\x9F\xA6"), 3u);
    EXPECT_EQ(utf8::unfinished_tail_length("\xF0\x9F\xA6\x99"), 0u);
    EXPECT_EQ(utf8::unfinished_tail_length("\xE4\xE4\xBD"), 2u);
    EXPECT_EQ(utf8::unfinished_tail_length("\xBD"), 0u);      // stray continuation: never completes
    EXPECT_EQ(utf8::unfinished_tail_length("\xC0"), 0u);      // never a valid lead
    EXPECT_EQ(utf8::unfinished_tail_length("\xED\xA0"), 0u);  // would be a surrogate
}

TEST(ByteLevel, PrintableBytesStandForThemselves) {
    EXPECT_EQ(byte_level::symbol_for('a'), "a");
    EXPECT_EQ(byte_level::symbol_for('~'), "~");
    EXPECT_EQ(byte_level::symbol_for(' '), "\xC4\xA0");   // Ġ
    EXPECT_EQ(byte_level::symbol_for('\n'), "\xC4\x8A");  // Ċ
    EXPECT_EQ(byte_level::decode("\xC4\xA0hello\xC4\x8A"), " hello\n");
}

TEST(ByteLevel, EveryByteRoundTrips) {
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    std::string spelled;
    byte_level::append_encoded(spelled, all);
    EXPECT_EQ(byte_level::decode(spelled), all);
    EXPECT_EQ(byte_level::byte_for(0x4F60), std::nullopt);
}

TEST(UnicodeClass, MatchesTheRegexCategories) {
    using unicode::classify;
    EXPECT_TRUE(classify('a').letter);
    EXPECT_TRUE(classify(0x4E2D).letter);   // 中
    EXPECT_TRUE(classify('7').number);
    EXPECT_TRUE(classify(0xBD).number);     // ½ (No)
    EXPECT_TRUE(classify(0x0301).mark);     // combining acute
    EXPECT_TRUE(classify('!').punctuation);
    EXPECT_TRUE(classify(0x3002).punctuation);  // 。
    EXPECT_TRUE(classify('+').symbol);
    EXPECT_TRUE(classify(0x1F999).symbol);  // 🦙
    for (uint32_t ws : {0x09u, 0x0Au, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x2003u, 0x3000u}) {
        EXPECT_TRUE(classify(ws).whitespace) << ws;
    }
    EXPECT_FALSE(classify(0x1C).whitespace);  // not White_Space, though Python's isspace says so
    EXPECT_FALSE(classify(0x200B).whitespace);
    const auto unassigned = classify(0x0378);
    EXPECT_FALSE(unassigned.letter || unassigned.number || unassigned.whitespace);
}

}  // namespace
}  // namespace clawbot
