#pragma once
// Keeps message contents marked (see content_marks.h) through whatever a
// template does with them, without changing what it computes: the string
// filters, methods, tests, indexing and slicing see the text without its
// marks, and every string they produce from marked text is marked again as
// a whole. So the output, marks removed, is what the template prints for
// unmarked contents, and no byte that came from a content is left outside
// the marks. (A result mixing a content with template text is marked as a
// whole: safe, at worst a control token the template spelled inside such
// a string stays text.)
#include "engine/chat/jinja_callable.h"

namespace clawbot::chat::jinja {

// Whether `subject` is a string and it or any argument holds marks.
bool touches_marked_text(const Value& subject, const Arguments& args);
bool touches_marked_text(const Value& subject);

// Strings without their marks; lists copied with their items unmarked.
Value unmarked(const Value& value);
Arguments unmarked(const Arguments& args);

// Non-empty strings marked; lists copied with their items remarked.
Value remarked(const Value& value);

}  // namespace clawbot::chat::jinja
