#pragma once
/// SendGrid's side of the Signed Event Webhook, for tests: a fresh ECDSA P-256 key pair, its
/// public half as SendGrid's mail settings show it, and signatures as SendGrid makes them, with
/// OpenSSL directly (independent of the code under test).
#include <memory>
#include <string>
#include <string_view>

namespace herald::test {

class SendgridSigner {
 public:
  SendgridSigner();  ///< a new key pair
  ~SendgridSigner();
  SendgridSigner(const SendgridSigner&) = delete;
  SendgridSigner& operator=(const SendgridSigner&) = delete;

  /// base64 of the DER SubjectPublicKeyInfo: the "verification key".
  const std::string& verification_key() const { return verification_key_; }
  /// The `X-Twilio-Email-Event-Webhook-Signature` of a post: base64 of the DER ECDSA signature of
  /// SHA-256(timestamp + body).
  std::string sign(std::string_view timestamp, std::string_view body) const;

 private:
  struct Key;
  std::unique_ptr<Key> key_;
  std::string verification_key_;
};

}  // namespace herald::test
