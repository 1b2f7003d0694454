#pragma once
/// A counting semaphore for coroutines on one single-threaded executor.
#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herald {

/// Bounds how many coroutines do something at once (events in flight, requests to a gateway).
/// Waiters are woken in FIFO order. Not thread-safe: one executor thread.
class AsyncSemaphore {
 public:
  AsyncSemaphore(boost::asio::any_io_executor executor, std::size_t count)
      : executor_(std::move(executor)), available_(count) {}

  /// Waits for a unit; returns false when woken by cancel_all() instead.
  boost::asio::awaitable<bool> acquire() {
    if (available_ > 0 && waiters_.empty()) {
      --available_;
      co_return true;
    }
    auto waiter = std::make_shared<Waiter>(executor_);
    waiters_.push_back(waiter);
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (!waiter->granted) {
      // Woken without a unit (cancel_all, or the awaiting coroutine was cancelled): leave the
      // queue, or a later release() would hand this waiter a unit nobody returns.
      std::erase(waiters_, waiter);
    }
    co_return waiter->granted;
  }

  /// Returns a unit, handing it straight to the oldest waiter if there is one.
  void release() {
    if (waiters_.empty()) {
      ++available_;
      return;
    }
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->granted = true;
    waiter->timer.cancel();
  }

  /// Wakes every waiter without a unit (shutdown).
  void cancel_all() {
    for (auto& w : waiters_) w->timer.cancel();
    waiters_.clear();
  }

  /// Units free right now.
  std::size_t available() const { return available_; }

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex)
        : timer(ex, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer timer;
    bool granted = false;
  };
  boost::asio::any_io_executor executor_;
  std::size_t available_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

/// Releases one unit of `semaphore` when it goes out of scope.
class SemaphoreUnit {
 public:
  explicit SemaphoreUnit(AsyncSemaphore& semaphore) : semaphore_(&semaphore) {}
  SemaphoreUnit(SemaphoreUnit&& other) noexcept
      : semaphore_(std::exchange(other.semaphore_, nullptr)) {}
  SemaphoreUnit(const SemaphoreUnit&) = delete;
  SemaphoreUnit& operator=(const SemaphoreUnit&) = delete;
  SemaphoreUnit& operator=(SemaphoreUnit&&) = delete;
  ~SemaphoreUnit() {
    if (semaphore_) semaphore_->release();
  }

 private:
  AsyncSemaphore* semaphore_;
};

}  // namespace herald
