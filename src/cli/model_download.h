#pragma once
// Downloading a model file for `clawbot pull`: HTTP(S) with redirects,
// resumed from a ".partial" file (HTTP Range) after a broken connection or
// an interrupted run, its size and SHA-256 checked and its GGUF header
// validated before it is moved into place. Nothing half-downloaded or
// unchecked ever has the final name.
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace clawbot::cli {

struct DownloadRequest {
    std::string url;                    // http:// or https://
    std::string destination;            // the final path; DESTINATION.partial while downloading
    std::optional<std::string> sha256;  // lowercase hex the file must hash to
    std::optional<std::string> bearer;  // sent as Authorization to the URL's own host only (HF_TOKEN)
    bool progress = false;              // a progress line on stderr (a terminal)
    int attempts = 5;                   // connections tried, each resuming where the last stopped
};

struct DownloadResult {
    uint64_t bytes = 0;
    std::string sha256;  // of the whole file, lowercase hex
};

Result<DownloadResult> download_model(const DownloadRequest& request);

// "hf:OWNER/REPO/FILE.gguf" (optionally "@REVISION") as the hub's resolve
// URL on `endpoint` (HF_ENDPOINT, default https://huggingface.co); other
// text is returned as it is.
std::string resolve_model_url(const std::string& reference, const std::string& endpoint);

// Lowercase hex SHA-256 of a file.
Result<std::string> sha256_file(const std::string& path);

}  // namespace clawbot::cli
