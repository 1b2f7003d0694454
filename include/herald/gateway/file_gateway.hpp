#pragma once
/// The embedded default gateway: one JSON file per message in an outbox directory.
#include <filesystem>
#include <string>
#include <string_view>

#include "herald/gateway/gateway.hpp"

namespace herald {

/// Writes each message as `<directory>/<outbox_file_name(notification id)>`, atomically: a
/// temporary file in the same directory, fsync, then rename. The content is message_json(),
/// indented one field per line. Writing the same notification again replaces the file (idempotent
/// like Idempotency-Key). The write is synchronous on the calling thread: the files are small.
class FileGateway final : public Gateway {
 public:
  /// Creates `directory` if missing; throws std::runtime_error if it cannot.
  explicit FileGateway(std::filesystem::path directory);
  /// Accepted with gateway_message_id = the file name (code "ok"); a failed write (disk full,
  /// permissions) is transient with the system's reason (code "error").
  using Gateway::send;
  boost::asio::awaitable<SendResult> send(const Message& message, const SendCheck& check) override;
  std::string_view type() const override { return "file"; }

  /// The directory the files go to.
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
};

/// The file name of a notification in the outbox: `<id>.json` with every byte outside
/// [A-Za-z0-9._-], and a leading '.', percent-encoded, so that no id can leave the directory or
/// hide; ids whose name would be too long are cut and end in `~<hash>`.
std::string outbox_file_name(std::string_view notification_id);

}  // namespace herald
