#include "engine/tokenizer/unicode_class.h"

#include <array>

#include <utf8proc.h>

namespace clawbot::unicode {

namespace {

bool is_white_space(uint32_t cp) {
    switch (cp) {
        case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
        case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
        case 0x202F: case 0x205F: case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

CharClass classify_slow(uint32_t cp) {
    CharClass c;
    c.whitespace = is_white_space(cp);
    // utf8proc answers Cn (unassigned) for anything outside the code space.
    const auto cat = cp <= 0x10FFFF ? utf8proc_category(static_cast<utf8proc_int32_t>(cp))
                                    : UTF8PROC_CATEGORY_CN;
    switch (cat) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
            c.letter = true;
            break;
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
            c.number = true;
            break;
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
            c.mark = true;
            break;
        case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            c.punctuation = true;
            break;
        case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
        case UTF8PROC_CATEGORY_SO:
            c.symbol = true;
            break;
        default:
            break;
    }
    return c;
}

// ASCII dominates prompts and code; answer it from a table.
const std::array<CharClass, 128>& ascii_table() {
    static const std::array<CharClass, 128> table = [] {
        std::array<CharClass, 128> t{};
        for (uint32_t cp = 0; cp < 128; ++cp) t[cp] = classify_slow(cp);
        return t;
    }();
    return table;
}

}  // namespace

CharClass classify(uint32_t cp) {
    if (cp < 128) return ascii_table()[cp];
    return classify_slow(cp);
}

}  // namespace clawbot::unicode
