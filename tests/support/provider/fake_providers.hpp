#pragma once
/// Request handlers for HttpTestServer that check a request as GOV.UK Notify, Twilio and
/// SendGrid check it, and answer as they answer (status codes and body shapes from their API
/// documentation). A test serves one with `server.set_handler(FakeNotify{...})`.
#include <chrono>
#include <map>
#include <string>

#include "support/http/http_test_server.hpp"

namespace herald::test {

using Request = HttpTestServer::Request;
using Response = HttpTestServer::Response;

/// GOV.UK Notify API v2: POST /v2/notifications/{email,sms}, a Bearer JWT (HS256 under the
/// secret, `iss` the service id, `iat` within 30 s of now), JSON with the address, a template id
/// and a personalisation object. 201 with the notification's id; errors as
/// `{"errors":[{"error","message"}],"status_code"}`.
struct FakeNotify {
  std::string service_id;
  std::string secret;
  Response operator()(const Request& request) const;
};

/// Twilio: POST /2010-04-01/Accounts/{sid}/Messages.json, Basic auth with the account SID and
/// auth token, form fields To, From or MessagingServiceSid, Body. 201 with the message resource
/// (`sid`); errors as `{"code","message","more_info","status"}`.
struct FakeTwilio {
  std::string account_sid;
  std::string auth_token;
  Response operator()(const Request& request) const;
};

/// SendGrid v3: POST /v3/mail/send, Bearer API key, JSON personalizations/from/subject/content.
/// 202 with an empty body and X-Message-Id; errors as `{"errors":[{"message","field","help"}]}`.
struct FakeSendgrid {
  std::string api_key;
  Response operator()(const Request& request) const;
};

/// application/x-www-form-urlencoded decoded (`+` is a space); repeated names keep the last.
std::map<std::string, std::string> form_decode(const std::string& body);

}  // namespace herald::test
