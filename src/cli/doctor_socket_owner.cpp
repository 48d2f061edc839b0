#include "cli/doctor_socket_owner.h"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <unistd.h>

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kListenState = "0A";  // TCP_LISTEN in /proc/net/tcp

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool is_number(const char* name) {
    if (*name == '\0') return false;
    for (const char* c = name; *c; ++c) {
        if (*c < '0' || *c > '9') return false;
    }
    return true;
}

// Whether process `pid` has one of `links` ("socket:[INODE]") open; sets
// `unreadable` when its fd directory cannot be listed.
bool holds_any(const std::string& pid, const std::vector<std::string>& links, bool& unreadable) {
    const std::string fd_dir = "/proc/" + pid + "/fd";
    DIR* dir = ::opendir(fd_dir.c_str());
    if (dir == nullptr) {
        unreadable = errno == EACCES || errno == EPERM;
        return false;
    }
    bool found = false;
    while (const dirent* entry = ::readdir(dir)) {
        if (!is_number(entry->d_name)) continue;
        char target[64];
        const ssize_t n = ::readlink((fd_dir + "/" + entry->d_name).c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        const std::string link(target, static_cast<std::size_t>(n));
        if (std::find(links.begin(), links.end(), link) != links.end()) {
            found = true;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

std::string comm_of(const std::string& pid) {
    std::string comm = read_text("/proc/" + pid + "/comm");
    while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
    return comm.empty() ? "?" : comm;
}

}  // namespace

std::vector<std::uint64_t> listening_inodes(const std::string& proc_net_tcp, std::uint16_t port) {
    std::vector<std::uint64_t> inodes;
    std::istringstream lines(proc_net_tcp);
    std::string line;
    std::getline(lines, line);  // column headings
    while (std::getline(lines, line)) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) continue;
        const std::size_t colon = local.rfind(':');
        if (colon == std::string::npos || state != kListenState) continue;
        unsigned long local_port = 0;
        try {
            local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
            if (local_port == port) inodes.push_back(std::stoull(inode));
        } catch (const std::exception&) {
            continue;  // a malformed line: not ours to judge
        }
    }
    return inodes;
}

PortHolders find_port_holders(std::uint16_t port) {
    PortHolders result;
    std::vector<std::string> links;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        for (std::uint64_t inode : listening_inodes(read_text(table), port)) {
            if (inode != 0) links.push_back("socket:[" + std::to_string(inode) + "]");
        }
    }
    result.listening = !links.empty();
    if (links.empty()) return result;

    const std::string self = std::to_string(::getpid());
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return result;
    while (const dirent* entry = ::readdir(proc)) {
        if (!is_number(entry->d_name) || self == entry->d_name) continue;
        bool unreadable = false;
        if (holds_any(entry->d_name, links, unreadable)) {
            result.holders.push_back({static_cast<pid_t>(std::stol(entry->d_name)), comm_of(entry->d_name)});
        } else if (unreadable) {
            ++result.unreadable_processes;
        }
    }
    ::closedir(proc);
    std::sort(result.holders.begin(), result.holders.end(),
              [](const SocketHolder& a, const SocketHolder& b) { return a.pid < b.pid; });
    return result;
}

}  // namespace clawbot::cli::doctor
