#pragma once
// One blocking request to the cloud-mode upstream, for `clawbot doctor`:
// GET {UPSTREAM_URL}/models with the API key. Says whether the upstream
// answered at all and whether it accepted the key; never echoes the key.
#include <string>

#include "service/config/settings.h"

namespace clawbot::service {

struct UpstreamProbe {
    bool reachable = false;     // a TCP (and TLS) connection and an HTTP answer
    bool key_accepted = false;  // 2xx from /models
    int status = 0;             // HTTP status, 0 when unreachable
    std::string detail;         // one line: why not, or what answered
};

UpstreamProbe probe_upstream(const Settings& settings);

}  // namespace clawbot::service
