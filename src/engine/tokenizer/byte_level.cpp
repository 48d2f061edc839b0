#include "engine/tokenizer/byte_level.h"

#include <array>

#include "engine/tokenizer/utf8.h"

namespace clawbot::byte_level {

namespace {

bool printable_as_itself(uint32_t b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
    std::array<uint32_t, 256> cp_of_byte{};
    std::array<std::string, 256> utf8_of_byte;
    std::array<int16_t, 512> byte_of_cp{};  // the alphabet lies below U+0200
};

const Tables& tables() {
    static const Tables t = [] {
        Tables tb;
        tb.byte_of_cp.fill(-1);
        uint32_t next_shifted = 256;
        for (uint32_t b = 0; b < 256; ++b) {
            const uint32_t cp = printable_as_itself(b) ? b : next_shifted++;
            tb.cp_of_byte[b] = cp;
            utf8::append(tb.utf8_of_byte[b], cp);
            tb.byte_of_cp[cp] = static_cast<int16_t>(b);
        }
        return tb;
    }();
    return t;
}

}  // namespace

std::string_view symbol_for(uint8_t byte) { return tables().utf8_of_byte[byte]; }

std::optional<uint8_t> byte_for(uint32_t cp) {
    if (cp >= tables().byte_of_cp.size()) return std::nullopt;
    const int16_t b = tables().byte_of_cp[cp];
    if (b < 0) return std::nullopt;
    return static_cast<uint8_t>(b);
}

void append_encoded(std::string& out, std::string_view bytes) {
    for (char c : bytes) out.append(symbol_for(static_cast<uint8_t>(c)));
}

std::string decode(std::string_view spelled) {
    std::string out;
    out.reserve(spelled.size());
    for (uint32_t cp : utf8::decode_lenient(spelled)) {
        if (const auto b = byte_for(cp)) {
            out.push_back(static_cast<char>(*b));
        } else {
            utf8::append(out, cp);
        }
    }
    return out;
}

}  // namespace clawbot::byte_level
