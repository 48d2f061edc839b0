#pragma once
// UTF-8 helpers shared by the tokenizers and the detokenizer. Decoding is
// lenient in exactly the way llama.cpp is (so token ids match the reference on
// malformed input); the strict validator is for text we hand to clients.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::utf8 {

inline constexpr uint32_t kReplacement = 0xFFFD;

// Length of the sequence announced by a lead byte (1 for stray continuation
// bytes), judged by its high nibble only. Callers clamp it to what is left.
size_t sequence_length(uint8_t lead);

// Codepoints of `text`. A byte that does not start a well-formed sequence
// (bad lead, missing continuation bytes) becomes U+FFFD and decoding resumes
// at the next byte. Overlong forms and surrogates are accepted as they come.
std::vector<uint32_t> decode_lenient(std::string_view text);

// Appends the UTF-8 form of `cp`; values past U+10FFFF become U+FFFD.
void append(std::string& out, uint32_t cp);

// Appends `bytes` to `out`, replacing every maximal ill-formed subpart with
// U+FFFD, so `out` only ever receives well-formed UTF-8.
void append_sanitized(std::string& out, std::string_view bytes);

// Number of bytes at the end of `bytes` that form a well-formed but
// unfinished sequence (0..3); those are held back by streaming decoders.
size_t unfinished_tail_length(std::string_view bytes);

}  // namespace clawbot::utf8
