#pragma once
// A few threads for blocking work (SQLite commits wait for fsync) so that
// neither the engine thread nor the IO threads ever wait on the disk.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clawbot::service {

class WorkQueue {
public:
    explicit WorkQueue(int threads);
    ~WorkQueue();  // runs what is queued, then joins
    void post(std::function<void()> job);

private:
    void worker();
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace clawbot::service
