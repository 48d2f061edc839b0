#include "cli/model_download.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>

#include "engine/gguf/gguf_file.h"
#include "service/provider/upstream_connection.h"
#include "service/provider/upstream_endpoint.h"

namespace clawbot::cli {
namespace {

using namespace service::upstream_net;

constexpr auto kConnectTimeout = std::chrono::seconds(30);
constexpr auto kReadTimeout = std::chrono::seconds(60);
constexpr int kMaxRedirects = 8;
// Beast needs a body limit; no model is this big.
constexpr uint64_t kMaxModelBytes = uint64_t{1} << 42;

struct Url {
    service::UpstreamEndpoint endpoint;
    std::string target;  // path and query
};

Result<Url> parse_url(std::string text) {
    if (const size_t hash = text.find('#'); hash != std::string::npos) text.erase(hash);
    std::string query;
    if (const size_t q = text.find('?'); q != std::string::npos) {
        query = text.substr(q);
        text.erase(q);
    }
    auto endpoint = service::parse_upstream_url(text);
    if (!endpoint) return endpoint.error();
    if (endpoint->base_path.empty()) return make_error(text + ": the URL names no file");
    Url url{std::move(*endpoint), ""};
    url.target = url.endpoint.base_path + query;
    return url;
}

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    char text[32];
    std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return text;
}

// One line, rewritten in place, at most a few times a second.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled) : enabled_(enabled) {}
    void update(uint64_t done, std::optional<uint64_t> total, uint64_t fetched_now) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(200) && !(total && done == *total)) return;
        last_ = now;
        const double seconds = std::chrono::duration<double>(now - started_).count();
        const double rate = seconds > 0 ? static_cast<double>(fetched_now) / seconds : 0;
        std::string line = "\r  " + human_bytes(static_cast<double>(done));
        if (total && *total > 0) {
            char pct[16];
            std::snprintf(pct, sizeof pct, "%5.1f%%", 100.0 * static_cast<double>(done) / static_cast<double>(*total));
            line = "\r  " + std::string(pct) + "  " + human_bytes(static_cast<double>(done)) + " of " +
                   human_bytes(static_cast<double>(*total));
        }
        line += "  " + human_bytes(rate) + "/s";
        if (total && rate > 0 && *total >= done) line += "  ETA " + std::to_string(static_cast<long>(static_cast<double>(*total - done) / rate)) + " s";
        line += "   ";
        std::cerr << line << std::flush;
        drawn_ = true;
    }
    void finish() {
        if (drawn_) std::cerr << "\n";
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_{};
};

// What one connection achieved.
struct Attempt {
    enum Kind { Complete, Redirect, Broken, Failed } kind = Failed;
    std::string location;  // Redirect
    std::string error;     // Broken, Failed
    std::optional<uint64_t> total;
};

class Fetcher {
public:
    Fetcher(const DownloadRequest& request, const std::string& partial, ProgressLine& progress)
        : request_(request), partial_(partial), progress_(progress) {}

    uint64_t fetched_now = 0;  // bytes received by this run (for the rate)

    // GET `url` from byte `offset` of the partial file on.
    asio::awaitable<Attempt> get(const Url& url, bool send_bearer) {
        std::error_code fs_error;
        const uint64_t offset = std::filesystem::exists(partial_, fs_error) ? std::filesystem::file_size(partial_, fs_error) : 0;
        asio::ssl::context tls = service::make_upstream_tls_context();
        service::UpstreamConnection connection(co_await asio::this_coro::executor, tls, url.endpoint);
        beast::error_code ec = co_await connection.connect(kConnectTimeout);
        if (ec) co_return Attempt{Attempt::Broken, "", "could not connect to " + url.endpoint.display() + ": " + ec.message(), {}};
        Request req{http::verb::get, url.target, 11};
        req.set(http::field::host, url.endpoint.host_header);
        req.set(http::field::user_agent, "clawbot");
        if (offset > 0) req.set(http::field::range, "bytes=" + std::to_string(offset) + "-");
        if (send_bearer && request_.bearer) req.set(http::field::authorization, "Bearer " + *request_.bearer);
        ec = co_await connection.write(req, kReadTimeout);
        if (ec) co_return Attempt{Attempt::Broken, "", "the connection broke while asking: " + ec.message(), {}};
        ResponseParser parser;
        parser.body_limit(kMaxModelBytes);
        ec = co_await connection.read_header(parser, kReadTimeout);
        if (ec) co_return Attempt{Attempt::Broken, "", "no answer from " + url.endpoint.display() + ": " + ec.message(), {}};
        const int status = parser.get().result_int();
        if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
            const auto location = parser.get()[http::field::location];
            if (location.empty()) co_return Attempt{Attempt::Failed, "", "a redirect without a Location", {}};
            co_return Attempt{Attempt::Redirect, std::string(location), "", {}};
        }
        if (status == 416 && offset > 0) co_return Attempt{Attempt::Complete, "", "", offset};  // we have it all already
        if (status != 200 && status != 206) {
            co_return Attempt{Attempt::Failed, "", "the server answered HTTP " + std::to_string(status) +
                                                       (status == 401 || status == 403 ? " (a gated or private model: set HF_TOKEN)" : ""),
                              {}};
        }
        std::ios::openmode mode = std::ios::binary | std::ios::out;
        std::optional<uint64_t> total;
        uint64_t done = 0;
        if (status == 206) {
            // "bytes START-END/TOTAL": it must continue where the file stops.
            const std::string range(parser.get()[http::field::content_range]);
            unsigned long long start = 0, end = 0, size = 0;
            if (std::sscanf(range.c_str(), "bytes %llu-%llu/%llu", &start, &end, &size) != 3 || start != offset) {
                co_return Attempt{Attempt::Failed, "", "the server resumed at the wrong place (" + range + ")", {}};
            }
            total = size;
            done = offset;
            mode |= std::ios::app;
        } else {
            mode |= std::ios::trunc;  // the whole file again (no Range support): start over
            // Read from the header itself: gcc 12 under ASan misreads the
            // parser's optional content_length() as uninitialized.
            const std::string length(parser.get()[http::field::content_length]);
            unsigned long long size = 0;
            if (!length.empty() && std::sscanf(length.c_str(), "%llu", &size) == 1) total = size;
        }
        std::ofstream out(partial_, mode);
        if (!out) co_return Attempt{Attempt::Failed, "", "cannot write " + partial_, {}};
        for (;;) {
            std::string& body = parser.get().body();
            if (!body.empty()) {
                out.write(body.data(), static_cast<std::streamsize>(body.size()));
                if (!out) co_return Attempt{Attempt::Failed, "", "cannot write " + partial_ + " (disk full?)", {}};
                done += body.size();
                fetched_now += body.size();
                body.clear();
                progress_.update(done, total, fetched_now);
            }
            if (parser.is_done()) break;
            ec = co_await connection.read_some(parser, kReadTimeout);
            if (ec && ec != http::error::need_buffer) {
                out.flush();
                co_return Attempt{Attempt::Broken, "", "the connection broke after " + human_bytes(static_cast<double>(done)) + ": " + ec.message(), total};
            }
        }
        out.flush();
        if (total && done != *total) {
            co_return Attempt{Attempt::Broken, "", "the download stopped at " + std::to_string(done) + " of " + std::to_string(*total) + " bytes", total};
        }
        co_return Attempt{Attempt::Complete, "", "", total ? total : std::optional<uint64_t>(done)};
    }

private:
    const DownloadRequest& request_;
    const std::string& partial_;
    ProgressLine& progress_;
};

Attempt run_attempt(Fetcher& fetcher, const Url& url, bool send_bearer) {
    asio::io_context io;
    Attempt result{Attempt::Failed, "", "the download did not run", {}};
    asio::co_spawn(io, fetcher.get(url, send_bearer), [&](std::exception_ptr e, Attempt a) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                result = Attempt{Attempt::Failed, "", std::string("download failed: ") + ex.what(), {}};
            }
            return;
        }
        result = std::move(a);
    });
    io.run();
    return result;
}

// A Location may be relative to the URL it came from.
std::string absolute_location(const std::string& location, const Url& from) {
    if (location.starts_with("http://") || location.starts_with("https://")) return location;
    const std::string origin = std::string(from.endpoint.tls ? "https://" : "http://") + from.endpoint.host_header;
    if (location.starts_with("/")) return origin + location;
    const std::string base = from.endpoint.base_path.substr(0, from.endpoint.base_path.rfind('/') + 1);
    return origin + base + location;
}

}  // namespace

std::string resolve_model_url(const std::string& reference, const std::string& endpoint) {
    if (!reference.starts_with("hf:")) return reference;
    std::string path = reference.substr(3);
    std::string revision = "main";
    if (const size_t at = path.rfind('@'); at != std::string::npos) {
        revision = path.substr(at + 1);
        path.erase(at);
    }
    // OWNER/REPO/FILE...: the file may sit in a folder of the repository.
    const size_t owner_end = path.find('/');
    const size_t repo_end = owner_end == std::string::npos ? std::string::npos : path.find('/', owner_end + 1);
    if (repo_end == std::string::npos) return reference;  // not OWNER/REPO/FILE: refused by the URL parser
    std::string host = endpoint.empty() ? "https://huggingface.co" : endpoint;
    while (host.ends_with('/')) host.pop_back();
    return host + "/" + path.substr(0, repo_end) + "/resolve/" + revision + "/" + path.substr(repo_end + 1);
}

Result<std::string> sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot read " + path);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx);
        return make_error("SHA-256 is not available");
    }
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0) EVP_DigestUpdate(ctx, buffer.data(), static_cast<size_t>(in.gcount()));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx, digest, &length);
    EVP_MD_CTX_free(ctx);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", digest[i]);
        hex += two;
    }
    return hex;
}

Result<DownloadResult> download_model(const DownloadRequest& request) {
    const std::string partial = request.destination + ".partial";
    ProgressLine progress(request.progress);
    Fetcher fetcher(request, partial, progress);
    auto first = parse_url(request.url);
    if (!first) return first.error();
    const std::string first_host = first->endpoint.host;
    std::string last_error;
    bool complete = false;
    for (int attempt = 0; attempt < std::max(request.attempts, 1) && !complete; ++attempt) {
        Url url = *first;
        int redirects = 0;
        for (;;) {
            const Attempt a = run_attempt(fetcher, url, url.endpoint.host == first_host);
            if (a.kind == Attempt::Complete) {
                complete = true;
                break;
            }
            if (a.kind == Attempt::Redirect) {
                if (++redirects > kMaxRedirects) return make_error("too many redirects from " + request.url);
                auto next = parse_url(absolute_location(a.location, url));
                if (!next) return make_error("a redirect to an unusable URL: " + next.error().message);
                url = std::move(*next);
                continue;
            }
            progress.finish();
            if (a.kind == Attempt::Failed) return make_error(a.error);
            last_error = a.error;  // Broken: the next attempt resumes
            std::cerr << "clawbot: " << a.error << "; resuming\n";
            break;
        }
    }
    progress.finish();
    if (!complete) {
        return make_error(last_error + " (gave up after " + std::to_string(request.attempts) +
                          " tries; run the same command again to resume from " + partial + ")");
    }
    std::error_code ec;
    DownloadResult result;
    result.bytes = std::filesystem::file_size(partial, ec);
    auto digest = sha256_file(partial);
    if (!digest) return digest.error();
    result.sha256 = *digest;
    if (request.sha256 && *request.sha256 != result.sha256) {
        std::filesystem::remove(partial, ec);
        return make_error("the download's SHA-256 is " + result.sha256 + ", not the expected " + *request.sha256 +
                          "; the file was deleted");
    }
    // A model file, whole: its header, metadata and tensor table parse and
    // every tensor lies inside the file.
    auto gguf = gguf::GgufFile::open(partial);
    if (!gguf) {
        std::filesystem::remove(partial, ec);
        return make_error("the download is not a usable GGUF model (" + gguf.error().message + "); the file was deleted");
    }
    std::filesystem::rename(partial, request.destination, ec);
    if (ec) return make_error("cannot move the download into place at " + request.destination + ": " + ec.message());
    return result;
}

}  // namespace clawbot::cli
