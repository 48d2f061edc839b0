#pragma once
// Who holds a TCP port: the LISTEN sockets on it from /proc/net/tcp and
// /proc/net/tcp6, then the processes whose /proc/PID/fd links point at
// those sockets' inodes. Linux only; a process of another user is visible
// only to root.
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace clawbot::cli::doctor {

struct SocketHolder {
    pid_t pid = 0;
    std::string comm;  // /proc/PID/comm: the executable name, at most 15 characters
};

struct PortHolders {
    bool listening = false;             // a LISTEN socket on the port exists in this network namespace
    std::vector<SocketHolder> holders;  // processes that have it open (this process excluded)
    int unreadable_processes = 0;       // processes whose fds could not be listed
};

PortHolders find_port_holders(std::uint16_t port);

// Inodes of LISTEN sockets on `port` in the text of /proc/net/tcp or tcp6.
std::vector<std::uint64_t> listening_inodes(const std::string& proc_net_tcp, std::uint16_t port);

}  // namespace clawbot::cli::doctor
