#pragma once
// The files of web/ (the chat page), embedded in the binary at build time by
// cmake/embed_web.cmake. Nothing is read from disk at run time.

#include <span>
#include <string_view>

namespace clawbot::web {

struct Asset {
  std::string_view path;          // "/index.html", "/app.js": "/" + path under web/
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;          // the file's bytes
  std::string_view etag;          // quoted strong ETag: "\"<32 hex digits of SHA-256>\""
};

// Every embedded file, sorted by path. The storage is static.
std::span<const Asset> assets();

// The asset served at a request path ("/" is "/index.html"), or nullptr.
inline const Asset* find_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const Asset& asset : assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace clawbot::web
