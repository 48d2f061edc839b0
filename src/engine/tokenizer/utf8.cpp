#include "engine/tokenizer/utf8.h"

namespace clawbot::utf8 {

size_t sequence_length(uint8_t lead) {
    static constexpr uint8_t kByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kByHighNibble[lead >> 4];
}

namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// One codepoint at text[pos], or nullopt-like `false` when the bytes there
// are not a lead byte followed by enough continuation bytes.
bool decode_one(std::string_view text, size_t pos, uint32_t& cp, size_t& len) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
    const uint8_t lead = byte(0);
    if (lead < 0x80) {
        cp = lead;
        len = 1;
        return true;
    }
    if ((lead & 0xE0) == 0xC0) len = 2;
    else if ((lead & 0xF0) == 0xE0) len = 3;
    else if ((lead & 0xF8) == 0xF0) len = 4;
    else return false;  // continuation byte or 0xF8.. as a lead
    if (pos + len > text.size()) return false;
    cp = lead & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) {
        if (!is_continuation(byte(i))) return false;
        cp = (cp << 6) | (byte(i) & 0x3F);
    }
    return true;
}

enum class ScanKind { Complete, Truncated, Invalid };

struct Scan {
    ScanKind kind;
    size_t length;  // bytes consumed: the character, or the ill-formed subpart
};

// Strict well-formedness per the Unicode standard (table 3-7): no overlongs,
// no surrogates, nothing past U+10FFFF. An ill-formed subpart is the longest
// run of bytes that was still a valid beginning, and at least one byte.
Scan scan_strict(std::string_view s, size_t pos) {
    const uint8_t lead = static_cast<uint8_t>(s[pos]);
    if (lead < 0x80) return {ScanKind::Complete, 1};
    size_t need = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 3;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 4;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return {ScanKind::Invalid, 1};
    }
    for (size_t i = 1; i < need; ++i) {
        if (pos + i >= s.size()) return {ScanKind::Truncated, i};
        const uint8_t b = static_cast<uint8_t>(s[pos + i]);
        const bool ok = i == 1 ? (b >= lo && b <= hi) : is_continuation(b);
        if (!ok) return {ScanKind::Invalid, i};
    }
    return {ScanKind::Complete, need};
}

}  // namespace

std::vector<uint32_t> decode_lenient(std::string_view text) {
    std::vector<uint32_t> cps;
    cps.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        uint32_t cp = 0;
        size_t len = 0;
        if (decode_one(text, pos, cp, len)) {
            cps.push_back(cp);
            pos += len;
        } else {
            cps.push_back(kReplacement);
            pos += 1;
        }
    }
    return cps;
}

void append(std::string& out, uint32_t cp) {
    if (cp > 0x10FFFF) cp = kReplacement;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

void append_sanitized(std::string& out, std::string_view bytes) {
    size_t pos = 0;
    while (pos < bytes.size()) {
        const Scan scan = scan_strict(bytes, pos);
        if (scan.kind == ScanKind::Complete) {
            out.append(bytes.substr(pos, scan.length));
        } else {
            append(out, kReplacement);
        }
        pos += scan.length;
    }
}

size_t unfinished_tail_length(std::string_view bytes) {
    const size_t max_tail = bytes.size() < 3 ? bytes.size() : 3;
    for (size_t tail = max_tail; tail > 0; --tail) {
        const size_t pos = bytes.size() - tail;
        if (is_continuation(static_cast<uint8_t>(bytes[pos]))) continue;
        const Scan scan = scan_strict(bytes, pos);
        if (scan.kind == ScanKind::Truncated && scan.length == tail) return tail;
    }
    return 0;
}

}  // namespace clawbot::utf8
