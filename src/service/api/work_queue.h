#pragma once
// A few threads for blocking work (SQLite commits wait for fsync) so that
// neither the engine thread nor the IO threads ever wait on the disk.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clawbot::service {

class WorkQueue {
public:
    // `max_pending`: jobs that may wait at once for try_post (post() is not
    // limited: what it queues has already been admitted elsewhere).
    explicit WorkQueue(int threads, std::size_t max_pending = SIZE_MAX);
    ~WorkQueue();  // shut_down()
    // Runs what is queued, then joins the threads; later posts are dropped.
    // Idempotent.
    void shut_down();
    void post(std::function<void()> job);
    // false (and `job` dropped) when max_pending jobs are waiting.
    bool try_post(std::function<void()> job);
    std::size_t pending() const;

private:
    void worker();
    const std::size_t max_pending_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace clawbot::service
