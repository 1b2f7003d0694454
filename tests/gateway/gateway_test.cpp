// The pure parts of the gateway module: status classes, Retry-After, the message body.
#include "herald/gateway/gateway.hpp"

#include <gtest/gtest.h>

#include <date/date.h>
#include <boost/json/parse.hpp>

namespace herald {
namespace {

using namespace std::chrono_literals;
using Kind = SendResult::Kind;

TEST(ClassifyHttpStatus, AcceptsEvery2xx) {
  for (long status : {200, 201, 202, 204, 299})
    EXPECT_EQ(classify_http_status(status), Kind::accepted) << status;
}

TEST(ClassifyHttpStatus, RetriesTimeoutsTooEarlyRateLimitsAndServerErrors) {
  for (long status : {408, 425, 429, 500, 502, 503, 504, 599})
    EXPECT_EQ(classify_http_status(status), Kind::transient) << status;
}

TEST(ClassifyHttpStatus, RejectsEveryOther4xxForGood) {
  for (long status : {400, 401, 403, 404, 405, 409, 410, 413, 422, 499})
    EXPECT_EQ(classify_http_status(status), Kind::permanent) << status;
}

TEST(ClassifyHttpStatus, RetriesInformationalAndRedirectAnswers) {
  for (long status : {0, 100, 301, 302, 304, 307, 600})
    EXPECT_EQ(classify_http_status(status), Kind::transient) << status;
}

TEST(SendResultKind, HasItsNameAsText) {
  EXPECT_EQ(to_string(Kind::accepted), "accepted");
  EXPECT_EQ(to_string(Kind::transient), "transient");
  EXPECT_EQ(to_string(Kind::permanent), "permanent");
}

class RetryAfter : public ::testing::Test {
 protected:
  // Sunday 22 November 2026, 10:15:00 UTC.
  const std::chrono::system_clock::time_point now =
      date::sys_days{date::year{2026} / 11 / 22} + 10h + 15min;
};

TEST_F(RetryAfter, ReadsDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("7", now), 7000ms);
  EXPECT_EQ(parse_retry_after(" 120 ", now), 120000ms);
  EXPECT_EQ(parse_retry_after("0", now), 0ms);
}

TEST_F(RetryAfter, ReadsAnImfFixdateRelativeToNow) {
  EXPECT_EQ(parse_retry_after("Sun, 22 Nov 2026 10:16:40 GMT", now), 100s);
  EXPECT_EQ(parse_retry_after("Mon, 23 Nov 2026 00:00:00 GMT", now), 13h + 45min);
}

TEST_F(RetryAfter, ReadsTheObsoleteRfc850AndAsctimeForms) {
  EXPECT_EQ(parse_retry_after("Sunday, 22-Nov-26 10:16:40 GMT", now), 100s);
  EXPECT_EQ(parse_retry_after("Sun Nov 22 10:16:40 2026", now), 100s);
  EXPECT_EQ(parse_retry_after("Sun Nov  1 10:15:00 2026", now), 0ms) << "single-digit day";
}

TEST_F(RetryAfter, TreatsADateInThePastAsNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 0ms);
}

TEST_F(RetryAfter, CapsAbsurdDelaysAtOneDay) {
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), 24h);
  EXPECT_EQ(parse_retry_after("864000", now), 24h);
  EXPECT_EQ(parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now), 24h);
}

TEST_F(RetryAfter, RejectsAnythingElse) {
  for (const char* value :
       {"", "soon", "-5", "1.5", "7s", "Sun, 31 Feb 2026 10:00:00 GMT",
        "Sun, 22 Nov 2026 25:00:00 GMT", "22 Nov 2026", "Sun, 22 Foo 2026 10:16:40 GMT"})
    EXPECT_EQ(parse_retry_after(value, now), std::nullopt) << value;
}

Message email() {
  Message m;
  m.notification_id = "evt-2026-000123:email";
  m.channel = Channel::email;
  m.to = "katie@example.org";
  m.subject = "Your application GWF012345678";
  m.body = "Dear Ms McNally,\n\"quoted\" and Welsh ŵ";
  m.html = "<p>Dear Ms McNally</p>";
  m.language = "en";
  m.template_name = "decision_dispatched";
  m.event_id = "evt-2026-000123";
  m.case_ref = "GWF012345678";
  m.status = "decision_dispatched";
  return m;
}

TEST(MessageJson, IsTheContractBodyForEmail) {
  EXPECT_EQ(message_json(email()),
            R"({"id":"evt-2026-000123:email","channel":"email","to":"katie@example.org",)"
            R"("subject":"Your application GWF012345678",)"
            R"("body":"Dear Ms McNally,\n\"quoted\" and Welsh ŵ","html":"<p>Dear Ms McNally</p>",)"
            R"("reference":"GWF012345678","event_id":"evt-2026-000123",)"
            R"("status":"decision_dispatched","language":"en"})");
}

TEST(MessageJson, LeavesOutSubjectAndHtmlForSms) {
  Message m = email();
  m.notification_id = "evt-2026-000123:sms";
  m.channel = Channel::sms;
  m.to = "+447700900123";
  m.language = "cy";
  auto body = boost::json::parse(message_json(m)).as_object();
  EXPECT_FALSE(body.contains("subject"));
  EXPECT_FALSE(body.contains("html"));
  EXPECT_EQ(body.at("channel"), "sms");
  EXPECT_EQ(body.at("to"), "+447700900123");
  EXPECT_EQ(body.at("language"), "cy");
  EXPECT_EQ(body.size(), 8u);
}

}  // namespace
}  // namespace herald
