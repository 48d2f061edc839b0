#include "engine/chat/jinja_text.h"

#include <algorithm>

namespace clawbot::chat::jinja {
namespace {

std::size_t sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead >> 5) == 0x6) return 2;
    if ((lead >> 4) == 0xE) return 3;
    if ((lead >> 3) == 0x1E) return 4;
    return 1;
}

// The code point at the start of `s` and its length in bytes.
std::pair<uint32_t, std::size_t> decode(std::string_view s) {
    const auto lead = static_cast<unsigned char>(s[0]);
    std::size_t len = sequence_length(lead);
    if (len > s.size()) return {lead, 1};
    uint32_t cp = len == 1 ? lead : lead & (0xFF >> (len + 1));
    for (std::size_t i = 1; i < len; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) != 0x80) return {lead, 1};
        cp = (cp << 6) | (c & 0x3F);
    }
    return {cp, len};
}

// What Python's str.isspace() accepts.
bool is_unicode_space(uint32_t cp) {
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    switch (cp) {
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool in_set(std::string_view cp_bytes, std::optional<std::string_view> chars) {
    if (!chars) return is_unicode_space(decode(cp_bytes).first);
    for (std::string_view c : code_points(*chars)) {
        if (c == cp_bytes) return true;
    }
    return false;
}

bool is_space_at(std::string_view s, std::size_t pos, std::size_t* len) {
    const auto [cp, n] = decode(s.substr(pos));
    *len = n;
    return is_unicode_space(cp);
}

}  // namespace

std::vector<std::string_view> code_points(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = decode(s.substr(i)).second;
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

std::size_t code_point_count(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); i += decode(s.substr(i)).second) ++n;
    return n;
}

std::string_view python_strip(std::string_view s, StripSide side, std::optional<std::string_view> chars) {
    const auto cps = code_points(s);
    std::size_t first = 0;
    std::size_t last = cps.size();
    if (side != StripSide::right) {
        while (first < last && in_set(cps[first], chars)) ++first;
    }
    if (side != StripSide::left) {
        while (last > first && in_set(cps[last - 1], chars)) --last;
    }
    if (first == last) return {};
    const std::size_t begin = static_cast<std::size_t>(cps[first].data() - s.data());
    const std::size_t end = static_cast<std::size_t>(cps[last - 1].data() - s.data()) + cps[last - 1].size();
    return s.substr(begin, end - begin);
}

std::vector<std::string> python_split(std::string_view s, std::optional<std::string_view> sep, int64_t max_splits) {
    std::vector<std::string> parts;
    if (sep && sep->empty()) return {std::string(s)};  // Python refuses; callers check first
    if (sep) {
        std::size_t start = 0;
        while (max_splits < 0 || static_cast<int64_t>(parts.size()) < max_splits) {
            const std::size_t hit = s.find(*sep, start);
            if (hit == std::string_view::npos) break;
            parts.emplace_back(s.substr(start, hit - start));
            start = hit + sep->size();
        }
        parts.emplace_back(s.substr(start));
        return parts;
    }
    std::size_t pos = 0;
    std::size_t len = 0;
    while (pos < s.size()) {
        while (pos < s.size() && is_space_at(s, pos, &len)) pos += len;
        if (pos >= s.size()) break;
        if (max_splits >= 0 && static_cast<int64_t>(parts.size()) == max_splits) {
            // The rest, trailing white space stripped, is the last part.
            parts.emplace_back(python_strip(s.substr(pos), StripSide::right));
            break;
        }
        const std::size_t start = pos;
        while (pos < s.size() && !is_space_at(s, pos, &len)) pos += len;
        parts.emplace_back(s.substr(start, pos - start));
    }
    return parts;
}

std::vector<std::string> python_rsplit(std::string_view s, std::optional<std::string_view> sep, int64_t max_splits) {
    if (max_splits < 0 || (sep && sep->empty())) return python_split(s, sep, max_splits);
    std::vector<std::string> parts;
    if (sep) {
        std::size_t end = s.size();
        while (static_cast<int64_t>(parts.size()) < max_splits) {
            if (end < sep->size()) break;
            const std::size_t hit = s.rfind(*sep, end - sep->size());
            if (hit == std::string_view::npos) break;
            parts.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
            end = hit;
        }
        parts.emplace_back(s.substr(0, end));
    } else {
        std::string_view rest = python_strip(s, StripSide::right);
        while (!rest.empty()) {
            if (static_cast<int64_t>(parts.size()) == max_splits) {
                parts.emplace_back(rest);
                break;
            }
            std::size_t start = rest.size();
            while (start > 0) {
                std::size_t len = 0;
                std::size_t cp_start = start - 1;
                while (cp_start > 0 && (static_cast<unsigned char>(rest[cp_start]) & 0xC0) == 0x80) --cp_start;
                if (is_space_at(rest, cp_start, &len)) break;
                start = cp_start;
            }
            parts.emplace_back(rest.substr(start));
            rest = python_strip(rest.substr(0, start), StripSide::right);
        }
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
}

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string python_capitalize(std::string_view s) {
    std::string out = ascii_lower(s);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

std::string python_title(std::string_view s) {
    std::string out(s);
    bool word_start = true;
    for (char& c : out) {
        const bool lower = c >= 'a' && c <= 'z';
        const bool upper = c >= 'A' && c <= 'Z';
        if (lower && word_start) c = static_cast<char>(c - 'a' + 'A');
        if (upper && !word_start) c = static_cast<char>(c - 'A' + 'a');
        word_start = !(lower || upper);
    }
    return out;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace clawbot::chat::jinja
