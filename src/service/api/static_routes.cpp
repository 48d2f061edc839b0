// The chat page and its assets, embedded in the binary at build time.
#include "service/api/routes.h"
#include "service/web/assets.h"

namespace clawbot::service {
namespace {

// Nothing but our own files: no inline script or style, no other origin.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

bool handle_static(const HttpRequest& req, const Scope& scope) {
    const web::Asset* found = web::find_asset(req.path);
    if (!found) return false;
    const web::Asset& asset = *found;
    HttpResponse r;
    r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    // frame-ancestors for browsers that read CSP, X-Frame-Options for older ones.
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-cache");
    const std::string etag(asset.etag);  // already quoted
    r.headers.emplace_back("ETag", etag);
    if (auto match = req.header("If-None-Match"); match && *match == etag) {
        r.status = 304;
    } else {
        r.status = 200;
        r.headers.emplace_back("Content-Type", std::string(asset.content_type));
        r.body = std::string(asset.body);
    }
    scope->respond(std::move(r));
    return true;
}

}  // namespace clawbot::service
