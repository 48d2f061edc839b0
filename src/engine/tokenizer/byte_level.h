#pragma once
// GPT-2's byte-level alphabet: every byte value is shown as a printable
// codepoint (printable Latin-1 bytes as themselves, the rest as U+0100 and
// up), so a BPE vocabulary can spell arbitrary bytes with ordinary strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clawbot::byte_level {

// UTF-8 of the codepoint that stands for `byte`.
std::string_view symbol_for(uint8_t byte);

// The byte a codepoint stands for, or nullopt if it is not in the alphabet.
std::optional<uint8_t> byte_for(uint32_t cp);

// Spells raw bytes in the alphabet.
void append_encoded(std::string& out, std::string_view bytes);

// The raw bytes behind a byte-level spelled string. Codepoints outside the
// alphabet (added tokens are sometimes stored unspelled) pass through as UTF-8.
std::string decode(std::string_view spelled);

}  // namespace clawbot::byte_level
