#include "herald/http/http_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "curl_multi.hpp"
#include "herald/core/logging.hpp"

namespace herald {

namespace asio = boost::asio;
using http_detail::CurlMulti;
using http_detail::EasyHandle;
using http_detail::Slist;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

HttpResponse::Error error_kind(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return HttpResponse::Error::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return HttpResponse::Error::timeout;
    default:
      return HttpResponse::Error::other;
  }
}

// The awaiting operation's completion handler, type-erased. (Boost 1.81's any_completion_handler
// recurses without end when moved from an lvalue; fixed in 1.82.)
class Completion {
 public:
  virtual ~Completion() = default;
  /// Resumes the caller with `response`, through the handler's executor, never inline.
  virtual void complete(HttpResponse response, const asio::any_io_executor& fallback) && = 0;
  /// Where cancellation of the awaiting operation arrives.
  virtual asio::cancellation_slot cancellation_slot() const = 0;
};

template <typename Handler>
class CompletionFor final : public Completion {
 public:
  explicit CompletionFor(Handler handler) : handler_(std::move(handler)) {}
  void complete(HttpResponse response, const asio::any_io_executor& fallback) && override {
    auto executor = asio::get_associated_executor(handler_, fallback);
    asio::post(executor, asio::append(std::move(handler_), std::move(response)));
  }
  asio::cancellation_slot cancellation_slot() const override {
    return asio::get_associated_cancellation_slot(handler_);
  }

 private:
  Handler handler_;
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

class HttpClient::Impl {
 public:
  using Handler = std::unique_ptr<Completion>;

  Impl(asio::any_io_executor executor, HttpClientOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        multi_(executor_, static_cast<long>(options_.max_host_connections),
               static_cast<long>(options_.max_idle_connections),
               [this](CURL* easy, CURLcode result) { finished(easy, result); }) {}

  ~Impl() {
    // Abort everything; the awaiting coroutines resume later, through the executor.
    auto transfers = std::move(transfers_);
    transfers_.clear();
    for (auto& [easy, transfer] : transfers) {
      multi_.remove(easy);
      transfer->response = HttpResponse{};
      transfer->response.error = HttpResponse::Error::other;
      transfer->response.error_message = "client destroyed";
      complete(*transfer, true);
    }
  }

  void start(HttpRequest request, Handler handler);
  std::size_t in_flight() const { return transfers_.size(); }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  struct Transfer {
    HttpRequest request;  // owns the URL and body curl points at
    HttpResponse response;
    EasyHandle easy;
    Slist headers;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};
    std::size_t max_body = 0;
    bool body_too_large = false;
    Handler handler;
    asio::cancellation_slot slot;
  };

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user);
  CURLcode configure(Transfer& t);
  void finished(CURL* easy, CURLcode result);
  void cancel(Transfer& t);
  void fail(Transfer& t, std::string message);
  void complete(Transfer& t, bool clear_slot);

  asio::any_io_executor executor_;
  HttpClientOptions options_;
  CurlMulti multi_;
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> transfers_;
};

std::size_t HttpClient::Impl::on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->response.body.size() + n > t->max_body) {
    t->body_too_large = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t HttpClient::Impl::on_header(char* data, std::size_t size, std::size_t count,
                                        void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  // A new status line (after "100 Continue", say) starts a new set of headers.
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->response.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return n;
}

CURLcode HttpClient::Impl::configure(Transfer& t) {
  CURL* e = t.easy.get();
  const HttpRequest& r = t.request;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, r.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  // Prefer waiting for a connection that may multiplex (HTTP/2 over TLS) to opening another. Over
  // plain http there is no HTTP/2 (CURL_HTTP_VERSION_2TLS), and waiting would only make a burst
  // queue behind the first response until curl learns the server speaks HTTP/1.1.
  if (iequals(std::string_view(r.url).substr(0, 6), "https:")) set(CURLOPT_PIPEWAIT, 1L);
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  set(CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  // curl keys its connection cache on the TLS settings too, so a request with another CA bundle
  // never reuses a connection verified against this one.
  const std::string& ca_file = r.ca_file.empty() ? options_.ca_file : r.ca_file;
  if (!ca_file.empty()) set(CURLOPT_CAINFO, ca_file.c_str());
  set(CURLOPT_ERRORBUFFER, t.error_buffer.data());
  set(CURLOPT_WRITEFUNCTION, &Impl::on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HEADERFUNCTION, &Impl::on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));

  bool has_body = false;
  if (r.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    has_body = true;
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    set(CURLOPT_POSTFIELDS, r.body.data());
    if (r.method != "POST") set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }

  curl_slist* list = nullptr;
  auto append = [&](const std::string& line) {
    if (curl_slist* next = curl_slist_append(list, line.c_str())) {
      list = next;
      return true;
    }
    return false;
  };
  bool ok = true;
  for (const auto& [name, value] : r.headers)
    ok = ok && append(value.empty() ? name + ";" : name + ": " + value);  // "Name;" sends it empty
  // No "Expect: 100-continue" round trip before larger bodies: our servers answer at once.
  if (has_body) ok = ok && append("Expect:");
  t.headers.reset(list);
  if (!ok) return CURLE_OUT_OF_MEMORY;
  set(CURLOPT_HTTPHEADER, t.headers.get());
  return rc;
}

void HttpClient::Impl::start(HttpRequest request, Handler handler) {
  auto transfer = std::make_shared<Transfer>();
  Transfer& t = *transfer;
  t.request = std::move(request);
  t.handler = std::move(handler);
  t.max_body = options_.max_response_bytes;
  t.easy.reset(curl_easy_init());
  if (!t.easy) return fail(t, "cannot create a curl easy handle");
  if (CURLcode rc = configure(t); rc != CURLE_OK) return fail(t, curl_easy_strerror(rc));
  if (CURLMcode rc = multi_.add(t.easy.get()); rc != CURLM_OK)
    return fail(t, curl_multi_strerror(rc));
  transfers_.emplace(t.easy.get(), transfer);

  t.slot = t.handler->cancellation_slot();
  if (t.slot.is_connected()) {
    t.slot.assign([this, weak = std::weak_ptr<Transfer>(transfer)](asio::cancellation_type type) {
      if (!(type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                    asio::cancellation_type::total)))
        return;
      // The transfer dies when it finishes or the client goes: then there is nothing to cancel.
      if (auto t = weak.lock()) cancel(*t);
    });
  }
}

void HttpClient::Impl::finished(CURL* easy, CURLcode result) {
  auto it = transfers_.find(easy);
  if (it == transfers_.end()) return;
  std::shared_ptr<Transfer> transfer = std::move(it->second);
  transfers_.erase(it);
  HttpResponse& response = transfer->response;
  if (result == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  } else if (transfer->body_too_large) {
    // The write callback stopped the transfer, so the status line and headers are in.
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    response.body.clear();
    response.body_dropped = true;
    logger("http")->debug("msg=\"response body dropped\" status={} limit_bytes={}", response.status,
                          transfer->max_body);
  } else {
    response.error = error_kind(result);
    // A timeout before any request was sent (TCP or TLS never done: connect_timeout, or the
    // whole timeout spent connecting) is a failure to connect; the provider has nothing.
    long sent = 0;
    if (result == CURLE_OPERATION_TIMEDOUT &&
        curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0)
      response.error = HttpResponse::Error::connect;
    response.error_message = transfer->error_buffer[0] != '\0'
                                 ? std::string(transfer->error_buffer.data())
                                 : std::string(curl_easy_strerror(result));
    logger("http")->debug("msg=\"request failed\" curl_code={} error={}", static_cast<int>(result),
                          log_value(response.error_message));
  }
  complete(*transfer, true);
}

void HttpClient::Impl::cancel(Transfer& t) {
  auto it = transfers_.find(t.easy.get());
  if (it == transfers_.end()) return;
  std::shared_ptr<Transfer> keep = std::move(it->second);
  transfers_.erase(it);
  multi_.remove(t.easy.get());
  t.response = HttpResponse{};
  t.response.error = HttpResponse::Error::other;
  t.response.error_message = "cancelled";
  // We are inside the slot's own handler: leave the slot alone (it only holds a weak_ptr).
  complete(t, false);
}

void HttpClient::Impl::fail(Transfer& t, std::string message) {
  t.response.error = HttpResponse::Error::other;
  t.response.error_message = std::move(message);
  complete(t, false);
}

void HttpClient::Impl::complete(Transfer& t, bool clear_slot) {
  if (clear_slot && t.slot.is_connected()) t.slot.clear();
  // Never resume the caller inline: we may be deep inside curl_multi_socket_action's caller.
  auto handler = std::move(t.handler);
  std::move(*handler).complete(std::move(t.response), executor_);
}

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() = default;

asio::awaitable<HttpResponse> HttpClient::perform(HttpRequest request) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(HttpResponse)>(
      [](auto handler, Impl* impl, HttpRequest request) {
        using H = decltype(handler);
        impl->start(std::move(request), std::make_unique<CompletionFor<H>>(std::move(handler)));
      },
      asio::use_awaitable, impl_.get(), std::move(request));
}

std::size_t HttpClient::in_flight() const {
  return impl_->in_flight();
}

asio::any_io_executor HttpClient::get_executor() const {
  return impl_->executor();
}

}  // namespace herald
