#pragma once
/// The embedded default gateway: one JSON file per message in an outbox directory.
#include <filesystem>

#include "herald/gateway/gateway.hpp"

namespace herald {

/// Writes each message as `<directory>/<notification id>.json` (the id made filename-safe),
/// atomically: a temporary file, fsync, then rename. The JSON has the webhook body's shape.
/// Writing the same notification again replaces the file (idempotent like Idempotency-Key).
class FileGateway final : public Gateway {
 public:
  /// Creates `directory` if missing; throws std::runtime_error if it cannot.
  explicit FileGateway(std::filesystem::path directory);
  boost::asio::awaitable<SendResult> send(const Message& message) override;
  std::string_view type() const override { return "file"; }

 private:
  std::filesystem::path directory_;
};

}  // namespace herald
