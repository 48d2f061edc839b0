// Doctor check of HOST:PORT: bind it as the server does (SO_REUSEADDR, the
// first address HOST resolves to) and, when it is taken, say by whom.
#include <cerrno>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/doctor_checks.h"
#include "cli/doctor_socket_owner.h"

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kSubject = "port";

struct Endpoint {
    sockaddr_storage address{};
    socklen_t length = 0;
};

// HOST as a literal address, else its first passive getaddrinfo answer
// (what the server's resolver takes); empty optional and `error` when neither.
std::optional<Endpoint> resolve(const std::string& host, int port, std::string& error) {
    Endpoint e;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&e.address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.address);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        e.length = sizeof(sockaddr_in);
        return e;
    }
    if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        e.length = sizeof(sockaddr_in6);
        return e;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
        error = rc != 0 ? ::gai_strerror(rc) : "no address";
        return std::nullopt;
    }
    std::memcpy(&e.address, found->ai_addr, found->ai_addrlen);
    e.length = found->ai_addrlen;
    ::freeaddrinfo(found);
    return e;
}

// 0 when the endpoint could be bound and listened on, else the errno.
int try_listen(const Endpoint& e) {
    const int fd = ::socket(e.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    const int on = 1;
    int error = 0;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&e.address), e.length) != 0 || ::listen(fd, 1) != 0) {
        error = errno;
    }
    ::close(fd);
    return error;
}

std::string holder_list(const PortHolders& found) {
    std::string text;
    for (const SocketHolder& h : found.holders) {
        text += (text.empty() ? "" : ", ") + std::string("PID ") + std::to_string(h.pid) + " (" + h.comm + ")";
    }
    return text;
}

CheckLine in_use(const std::string& where, int port) {
    const PortHolders found = find_port_holders(static_cast<uint16_t>(port));
    const std::string other_port = "pick another PORT (--port N, or PORT=N in the config file)";
    for (const SocketHolder& h : found.holders) {
        if (h.comm == "clawbot") {
            return CheckLine::fail(kSubject,
                                   where + " is already in use: clawbot is already running as PID " + std::to_string(h.pid),
                                   "stop it with `systemctl stop clawbot-service` (or `kill " + std::to_string(h.pid) +
                                       "`), or " + other_port);
        }
    }
    if (!found.holders.empty()) {
        return CheckLine::fail(kSubject, where + " is already in use, held by " + holder_list(found),
                               "stop that process, or " + other_port);
    }
    if (found.listening) {
        return CheckLine::fail(kSubject,
                               where + " is already in use by a process doctor may not inspect (" +
                                   std::to_string(found.unreadable_processes) + " processes unreadable)",
                               "run doctor as root to name it (`sudo clawbot doctor`), or " + other_port);
    }
    return CheckLine::fail(kSubject,
                           where + " is already in use, but no process listening on port " + std::to_string(port) +
                               " is visible here (another network namespace?)",
                           "find it with `ss -ltnp 'sport = :" + std::to_string(port) + "'`, or " + other_port);
}

}  // namespace

CheckLine check_port(const service::Settings& s) {
    if (s.port == 0) return CheckLine::ok(kSubject, "PORT=0: the system picks a free port at start");
    const bool v6_literal = s.host.find(':') != std::string::npos;
    const std::string where = (v6_literal ? "[" + s.host + "]" : s.host) + ":" + std::to_string(s.port);
    std::string error;
    const std::optional<Endpoint> endpoint = resolve(s.host, s.port, error);
    if (!endpoint) {
        return CheckLine::fail(kSubject, "cannot resolve HOST " + s.host + ": " + error,
                               "HOST=127.0.0.1 (this machine only) or HOST=0.0.0.0 (every interface)");
    }
    switch (const int rc = try_listen(*endpoint)) {
        case 0: return CheckLine::ok(kSubject, where + " is free");
        case EADDRINUSE: return in_use(where, s.port);
        case EACCES:
            return CheckLine::fail(kSubject, "binding " + where + " needs privileges (ports below 1024)",
                                   "use PORT=18789, or grant CAP_NET_BIND_SERVICE (AmbientCapabilities= in the unit)");
        case EADDRNOTAVAIL:
            return CheckLine::fail(kSubject, "HOST " + s.host + " is not an address of this machine",
                                   "HOST=127.0.0.1, HOST=0.0.0.0, or an address `ip addr` lists");
        default:
            return CheckLine::fail(kSubject, "cannot listen on " + where + ": " + std::strerror(rc),
                                   "check HOST and PORT");
    }
}

}  // namespace clawbot::cli::doctor
