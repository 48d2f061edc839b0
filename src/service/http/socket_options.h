#pragma once
// SO_REUSEPORT, which Asio has no named option for: lets a new process bind
// the port the old one still listens on, for upgrades without downtime.
#include <cstddef>

#include <sys/socket.h>

namespace clawbot::service {

class ReusePortOption {
public:
    explicit ReusePortOption(bool enabled) : value_(enabled ? 1 : 0) {}

    // The SettableSocketOption requirements of Asio.
    template <class Protocol>
    int level(const Protocol&) const { return SOL_SOCKET; }
    template <class Protocol>
    int name(const Protocol&) const { return SO_REUSEPORT; }
    template <class Protocol>
    const int* data(const Protocol&) const { return &value_; }
    template <class Protocol>
    std::size_t size(const Protocol&) const { return sizeof(value_); }

private:
    int value_;
};

}  // namespace clawbot::service
