// Doctor check of cloud mode: the upstream settings are complete, the
// upstream answers, and it accepts the API key. The key is never printed.
#include <string>

#include "cli/doctor_checks.h"
#include "service/provider/openai_provider.h"
#include "service/provider/upstream_probe.h"

namespace clawbot::cli::doctor {
namespace {

// The probe's detail repeats the URL ("cannot reach URL: why", "URL/models
// answered HTTP 404: what it said"); the line names the URL already, so
// only the part after `marker` and its ": " is kept, or all of it.
std::string reason(const std::string& detail, const std::string& marker) {
    const std::size_t at = detail.find(marker);
    const std::size_t colon = at == std::string::npos ? at : detail.find(": ", at + marker.size());
    return colon == std::string::npos ? detail : detail.substr(colon + 2);
}

// `text` with every copy of the configured URL in its redacted form, so a
// password in UPSTREAM_URL never reaches the screen.
std::string redacted(std::string text, const std::string& raw_url) {
    const std::string safe = redact_url(raw_url);
    if (raw_url.empty() || safe == raw_url) return text;
    for (std::size_t at = text.find(raw_url); at != std::string::npos; at = text.find(raw_url, at + safe.size())) {
        text.replace(at, raw_url.size(), safe);
    }
    return text;
}

}  // namespace

CheckLine check_upstream(const service::Settings& s) {
    if (s.provider == "local") return CheckLine::ok("upstream", "none used (PROVIDER=local answers from the local model)");
    std::string missing;
    for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"UPSTREAM_URL", &s.upstream_url},
                                      {"UPSTREAM_MODEL", &s.upstream_model},
                                      {"API_KEY", &s.api_key}}) {
        if (value->empty()) missing += (missing.empty() ? "" : ", ") + std::string(name);
    }
    if (!missing.empty()) {
        return CheckLine::fail("upstream", "cloud mode (PROVIDER=" + s.provider + ") needs " + missing + ", not set",
                               "set them in the config file (mode 0600), e.g. UPSTREAM_URL=https://api.openai.com/v1, "
                               "UPSTREAM_MODEL=gpt-4o-mini, API_KEY=...");
    }
    std::string url = redact_url(s.upstream_url);
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    if (auto config = service::upstream_config_from(s); !config) {
        return CheckLine::fail("upstream", redacted(config.error().message, s.upstream_url),
                               "UPSTREAM_URL is the API base URL, e.g. https://api.openai.com/v1 (the key goes in API_KEY)");
    }
    service::UpstreamProbe probe = service::probe_upstream(s);
    probe.detail = redacted(probe.detail, s.upstream_url);
    if (!probe.reachable) {
        return CheckLine::fail("upstream", "cannot reach UPSTREAM_URL " + url + ": " +
                                   reason(probe.detail, probe.detail.rfind("no HTTP answer", 0) == 0 ? "from " : "reach "),
                               "check the URL, DNS, the firewall or proxy between here and the upstream, and that it is up "
                               "(UPSTREAM_CONNECT_TIMEOUT_S bounds the wait)");
    }
    if (probe.status == 401 || probe.status == 403) {
        return CheckLine::fail("upstream",
                               "the upstream refused the API key (HTTP " + std::to_string(probe.status) + " from " + url + "/models)",
                               "set a valid API_KEY for this upstream (check it is not expired or revoked)");
    }
    if (!probe.key_accepted) {
        return CheckLine::fail("upstream",
                               "the upstream answered HTTP " + std::to_string(probe.status) + " to GET " + url + "/models" +
                                   (probe.detail.find(": ") == std::string::npos ? "" : ": " + reason(probe.detail, "answered HTTP")),
                               "check that UPSTREAM_URL is the API base URL (it usually ends in /v1)");
    }
    return CheckLine::ok("upstream", url + " answers and accepts the API key (HTTP " + std::to_string(probe.status) +
                                         "), UPSTREAM_MODEL=" + s.upstream_model);
}

}  // namespace clawbot::cli::doctor
