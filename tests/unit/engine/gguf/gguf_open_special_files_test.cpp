// GgufFile::open on paths that are not regular files: it must refuse them
// at once, never wait on them (a FIFO blocks a plain open for reading until
// some process opens it for writing).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "support/test_support.h"

namespace clawbot::gguf {
namespace {

using namespace std::chrono_literals;

// Should open() block on the FIFO, this opens its writing end after
// `patience`, so a regression fails the test instead of hanging it.
class FifoRescue {
public:
    FifoRescue(std::string path, std::chrono::milliseconds patience)
        : path_(std::move(path)), thread_([this, patience] { run(patience); }) {}
    ~FifoRescue() {
        done_ = true;
        thread_.join();
    }
    bool had_to_rescue() const { return rescued_; }

private:
    void run(std::chrono::milliseconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (!done_ && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        // Without a reader waiting, a non-blocking open for writing fails
        // (ENXIO); retry until the blocked reader is there or the test ends.
        while (!done_) {
            const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                rescued_ = true;
                ::close(fd);
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
    }

    std::string path_;
    std::atomic<bool> done_{false};
    std::atomic<bool> rescued_{false};
    std::thread thread_;
};

TEST(GgufOpen, FifoIsRefusedWithoutWaitingForAWriter) {
    const std::string dir = test::make_temp_dir();
    const std::string fifo = dir + "/model.gguf";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    {
        FifoRescue rescue(fifo, 3000ms);
        const auto started = std::chrono::steady_clock::now();
        const auto file = GgufFile::open(fifo);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        ASSERT_FALSE(file.ok());
        EXPECT_NE(file.error().message.find("'" + fifo + "' is not a regular file"), std::string::npos)
            << file.error().message;
        EXPECT_FALSE(rescue.had_to_rescue()) << "open() waited for a writer on the FIFO";
        EXPECT_LT(elapsed, 2000ms);
    }
    std::filesystem::remove_all(dir);
}

TEST(GgufOpen, DirectoryIsRefusedAsNotARegularFile) {
    const std::string dir = test::make_temp_dir();
    const auto file = GgufFile::open(dir);
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.error().message.find("'" + dir + "' is not a regular file"), std::string::npos)
        << file.error().message;
    std::filesystem::remove_all(dir);
}

TEST(GgufOpen, CharacterDeviceIsRefusedAsNotARegularFile) {
    // /dev/null opens and reads as empty; the refusal must come first.
    const auto file = GgufFile::open("/dev/null");
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.error().message.find("is not a regular file"), std::string::npos) << file.error().message;
}

}  // namespace
}  // namespace clawbot::gguf
