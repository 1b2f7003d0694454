// hiredis 0.14 async on Boost.Asio. The only file that includes hiredis.
#include "herald/redis/redis_client.hpp"

#include <deque>
#include <unordered_set>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/core/logging.hpp"
#include "herald/redis/command.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      break;
    default:
      out.type = RedisReply::Type::nil;
      break;
  }
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    out.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
  }
  return out;
}

// The context's socket, watched by Asio. hiredis owns the fd (it closes it): the descriptor is
// non-owning and released in the cleanup hook. Wait handlers keep this object alive and check
// `gone` before touching the context, which may have been freed meanwhile.
struct Socket : std::enable_shared_from_this<Socket> {
  Socket(asio::any_io_executor ex, int fd, redisAsyncContext* c) : sd(ex, fd), ctx(c) {}
  ~Socket() {
    if (sd.is_open()) sd.release();
  }
  asio::posix::stream_descriptor sd;
  redisAsyncContext* ctx;
  bool gone = false;
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;

  void arm_read() {
    if (read_armed || gone) return;
    read_armed = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [self = shared_from_this()](error_code ec) {
                    self->read_armed = false;
                    if (ec || self->gone) return;
                    if (self->want_read) redisAsyncHandleRead(self->ctx);
                    if (!self->gone && self->want_read) self->arm_read();
                  });
  }
  void arm_write() {
    if (write_armed || gone) return;
    write_armed = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_write,
                  [self = shared_from_this()](error_code ec) {
                    self->write_armed = false;
                    if (ec || self->gone) return;
                    if (self->want_write) redisAsyncHandleWrite(self->ctx);
                    if (!self->gone && self->want_write) self->arm_write();
                  });
  }

  static void add_read(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->want_read = true;
    s->arm_read();
  }
  static void del_read(void* p) { static_cast<Socket*>(p)->want_read = false; }
  static void add_write(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->want_write = true;
    s->arm_write();
  }
  static void del_write(void* p) { static_cast<Socket*>(p)->want_write = false; }
  static void cleanup(void* p) {
    auto* s = static_cast<Socket*>(p);
    s->gone = true;
    s->ctx = nullptr;
    s->want_read = s->want_write = false;
    error_code ignored;
    s->sd.cancel(ignored);
    if (s->sd.is_open()) s->sd.release();
  }
};

// One command in flight. Its waiter sleeps on `signal` (a timer that never expires) and is woken
// by cancelling it: completion always goes through the executor, never inline from hiredis.
struct Call {
  explicit Call(asio::any_io_executor ex) : signal(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer signal;
  bool done = false;
  error_code ec;
  RedisReply reply;
};

}  // namespace

class RedisClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor ex, RedisEndpoint endpoint, RedisClientOptions options)
      : executor_(std::move(ex)),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        delay_(options_.reconnect_min) {}

  ~Impl() { drop(asio::error::operation_aborted); }

  asio::awaitable<result<RedisReply>> command(std::vector<std::string> args,
                                              std::chrono::milliseconds timeout) {
    if (auto ec = ensure_context()) co_return ec;
    auto call = std::make_shared<Call>(executor_);
    issue(call, args);
    if (call->done) {
      if (call->ec) co_return call->ec;
      co_return std::move(call->reply);
    }

    // The deadline: replies on a connection come back in order, so one that never comes makes
    // every later reply unmatchable. Drop the connection; the next command reconnects.
    asio::steady_timer deadline(executor_, timeout);
    deadline.async_wait([weak = weak_from_this(),
                         weak_call = std::weak_ptr<Call>(call)](error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      auto c = weak_call.lock();
      if (self && c && !c->done) {
        logger("redis")->warn("msg=\"command timed out; dropping the connection\" connection={}",
                              log_value(self->options_.name));
        self->drop(asio::error::timed_out);
      }
    });
    error_code ignored;
    co_await call->signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    deadline.cancel();
    if (!call->done) co_return make_error_code(asio::error::operation_aborted);
    if (call->ec) co_return call->ec;
    co_return std::move(call->reply);
  }

  asio::awaitable<error_code> connect() {
    auto reply = co_await command(redis_args("PING"), options_.connect_timeout);
    if (!reply) co_return reply.error();
    if (reply->is_error()) co_return make_error_code(asio::error::access_denied);
    co_return error_code{};
  }

  bool connected() const { return connected_; }

  void drop(error_code reason) {
    if (!ctx_) return;
    drop_reason_ = reason;
    auto* c = ctx_;
    // redisAsyncFree runs every pending callback with a NULL reply (failing each call with
    // drop_reason_), the disconnect callback if it was connected, then the cleanup hook.
    redisAsyncFree(c);
    lost();
  }

  std::function<void()> on_reconnect;

 private:
  error_code ensure_context() {
    if (ctx_) return {};
    if (std::chrono::steady_clock::now() < next_attempt_) return asio::error::not_connected;
    redisAsyncContext* c = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
    if (!c) return asio::error::no_memory;
    if (c->err) {
      logger("redis")->debug("msg=\"connect failed\" connection={} error={}",
                             log_value(options_.name), log_value(c->errstr));
      redisAsyncFree(c);
      backoff();
      return asio::error::connection_refused;
    }
    ctx_ = c;
    c->data = this;
    socket_ = std::make_shared<Socket>(executor_, c->c.fd, c);
    // The hooks must be in place before the connect callback is set: setting it arms a write.
    c->ev.data = socket_.get();
    c->ev.addRead = &Socket::add_read;
    c->ev.delRead = &Socket::del_read;
    c->ev.addWrite = &Socket::add_write;
    c->ev.delWrite = &Socket::del_write;
    c->ev.cleanup = &Socket::cleanup;
    redisAsyncSetConnectCallback(c, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(c, &Impl::on_disconnect);
    drop_reason_ = asio::error::not_connected;
    // hiredis queues these until the connection is up; they go first, in order.
    if (!endpoint_.password.empty()) {
      auto auth = endpoint_.username.empty()
                      ? std::vector<std::string>{"AUTH", endpoint_.password}
                      : std::vector<std::string>{"AUTH", endpoint_.username, endpoint_.password};
      setup(std::move(auth));
    }
    if (endpoint_.db != 0) setup({"SELECT", std::to_string(endpoint_.db)});
    setup({"CLIENT", "SETNAME", options_.name}, true);
    return {};
  }

  // A set-up command: an error reply makes the connection useless (wrong password, bad db).
  // The answer to the `last` one says Redis is there: a TCP handshake alone does not (the kernel
  // completes it for a redis-server that is stopped or hung).
  void setup(std::vector<std::string> args, bool last = false) {
    auto call = std::make_shared<Call>(executor_);
    issue(call, args);
    asio::co_spawn(
        executor_,
        [](std::shared_ptr<Impl> self, std::shared_ptr<Call> call, std::string what, bool last,
           const redisAsyncContext* context) -> asio::awaitable<void> {
          error_code ignored;
          if (!call->done)
            co_await call->signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
          // Answered, and on the connection still in use (it may have been dropped since).
          if (!call->done || call->ec || self->ctx_ != context) co_return;
          if (call->reply.is_error()) {
            logger("redis")->error("msg=\"connection set-up refused\" command={} error={}", what,
                                   log_value(call->reply.str));
            self->drop(asio::error::access_denied);
          } else if (last) {
            self->established();
          }
        }(shared_from_this(), call, args[0], last, ctx_),
        asio::detached);
  }

  // Redis answered on a new connection.
  void established() {
    connected_ = true;
    delay_ = options_.reconnect_min;
    if (ever_connected_) {
      if (on_reconnect) on_reconnect();
      logger("redis")->info("msg=\"reconnected to Redis\" connection={}", log_value(options_.name));
    }
    ever_connected_ = true;
  }

  void issue(const std::shared_ptr<Call>& call, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    in_flight_.insert(call);
    int rc = redisAsyncCommandArgv(ctx_, &Impl::on_reply, call.get(), static_cast<int>(argv.size()),
                                   argv.data(), lens.data());
    if (rc != REDIS_OK) {
      in_flight_.erase(call);
      call->done = true;
      call->ec = asio::error::not_connected;
    }
  }

  static void on_reply(redisAsyncContext* c, void* r, void* privdata) {
    auto* self = static_cast<Impl*>(c->data);
    auto* call = static_cast<Call*>(privdata);
    call->done = true;
    if (r)
      call->reply = copy_reply(static_cast<redisReply*>(r));
    else
      call->ec = self->drop_reason_;
    call->signal.cancel();
    // Find and release our reference; the waiter holds its own.
    for (auto it = self->in_flight_.begin(); it != self->in_flight_.end(); ++it)
      if (it->get() == call) {
        self->in_flight_.erase(it);
        break;
      }
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    if (status != REDIS_OK) {
      // hiredis frees the context itself after this callback: forget it, never free it.
      logger("redis")->debug("msg=\"connect failed\" connection={} error={}",
                             log_value(self->options_.name), log_value(c->errstr));
      self->drop_reason_ = asio::error::connection_refused;
      self->lost();
      return;
    }
    // Connected only once Redis answers the set-up (established()).
  }

  static void on_disconnect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    if (status != REDIS_OK)
      logger("redis")->warn("msg=\"connection to Redis lost\" connection={} error={}",
                            log_value(self->options_.name), log_value(c->errstr));
    if (self->drop_reason_ == asio::error::not_connected)
      self->drop_reason_ = asio::error::connection_reset;
    self->lost();
  }

  // The context is gone (or going): forget it and wait a while before the next attempt.
  void lost() {
    if (!ctx_) return;
    ctx_ = nullptr;
    // hiredis calls the cleanup hook after this (it is freeing the context): the socket state
    // must outlive it, so let it go later, from the executor.
    asio::post(executor_, [socket = std::move(socket_)] {});
    connected_ = false;
    backoff();
  }

  void backoff() {
    next_attempt_ = std::chrono::steady_clock::now() + delay_;
    delay_ = std::min(delay_ * 2, options_.reconnect_max);
  }

  asio::any_io_executor executor_;
  RedisEndpoint endpoint_;
  RedisClientOptions options_;
  redisAsyncContext* ctx_ = nullptr;
  std::shared_ptr<Socket> socket_;
  std::unordered_set<std::shared_ptr<Call>> in_flight_;
  error_code drop_reason_;
  bool connected_ = false;
  bool ever_connected_ = false;
  std::chrono::milliseconds delay_;
  std::chrono::steady_clock::time_point next_attempt_{};
};

RedisClient::RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint,
                         RedisClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(endpoint), std::move(options))) {}

RedisClient::~RedisClient() {
  if (impl_) impl_->drop(asio::error::operation_aborted);
}

asio::awaitable<result<RedisReply>> RedisClient::command(std::vector<std::string> args,
                                                         std::chrono::milliseconds timeout) {
  auto impl = impl_;  // outlives this coroutine even if the client is destroyed meanwhile
  co_return co_await impl->command(std::move(args), timeout);
}

asio::awaitable<error_code> RedisClient::connect() {
  auto impl = impl_;
  co_return co_await impl->connect();
}

bool RedisClient::connected() const {
  return impl_->connected();
}

void RedisClient::on_reconnect(std::function<void()> callback) {
  impl_->on_reconnect = std::move(callback);
}

void RedisClient::close() {
  impl_->drop(asio::error::operation_aborted);
}

}  // namespace herald
