#pragma once
// Message contents are untrusted text: a user who types "<|im_start|>" must
// get those characters, not the control token. To know, after a template
// has run, which bytes of the prompt came from message contents, each
// content enters the template wrapped in two Unicode noncharacters,
// U+FDD0 before and U+FDD1 after, which never occur in real text (any a
// content holds are removed first). The interpreter keeps them around
// whatever it derives from a content (see jinja_marks.h), and the marks are
// then taken out of the rendered text, leaving the byte ranges they
// enclosed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/byte_range.h"

namespace clawbot::chat {

inline constexpr std::string_view kContentBegin = "\xEF\xB7\x90";  // U+FDD0
inline constexpr std::string_view kContentEnd = "\xEF\xB7\x91";    // U+FDD1

bool has_content_marks(std::string_view text);
std::string without_content_marks(std::string_view text);
// `text` between the marks; empty text stays empty, so it stays falsy in
// templates and adds no range.
std::string mark_content(std::string_view text);

struct UnmarkedText {
    std::string text;               // without the marks
    std::vector<ByteRange> marked;  // what they enclosed, sorted, disjoint, non-empty
};

// Takes the marks out of `text`. Nothing if they do not pair up (an end
// without a begin, or a begin never ended): then some content may have
// escaped its marks and no range can be trusted.
std::optional<UnmarkedText> take_content_marks(std::string_view text);

}  // namespace clawbot::chat
