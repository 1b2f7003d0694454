#include "herald/core/logging.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

namespace herald {
namespace {

TEST(LogValue, LeavesPlainValuesAlone) {
  EXPECT_EQ(log_value("evt-2026-000123:email"), "evt-2026-000123:email");
}

TEST(LogValue, QuotesAndEscapesValuesThatCouldForgeFields) {
  EXPECT_EQ(log_value("a b"), "\"a b\"");
  EXPECT_EQ(log_value("x\nlevel=error"), "\"x\\x0alevel=error\"");
  EXPECT_EQ(log_value("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(log_value(""), "\"\"");
}

TEST(LogValue, CutsLongValues) {
  auto v = log_value(std::string(1000, 'a'));
  EXPECT_LT(v.size(), 210u);
  EXPECT_NE(v.find("..."), std::string::npos);
}

// A value from outside must not change how the rest of the line reads: a right-to-left override
// reverses what follows it on a terminal, a line separator starts a new line in some viewers, and
// invalid UTF-8 makes journald keep the whole message as a blob.
TEST(LogValue, EscapesCharactersThatChangeHowTheLineReadsAndBytesThatAreNotUtf8) {
  EXPECT_EQ(log_value("evt\u202e1"), "\"evt\\u202e1\"");
  EXPECT_EQ(log_value("a\u2028b"), "\"a\\u2028b\"");
  EXPECT_EQ(log_value("a\u2066b\u2069"), "\"a\\u2066b\\u2069\"");
  EXPECT_EQ(log_value("a\xc2\x85"), "\"a\\u0085\"") << "C1 control NEL";
  EXPECT_EQ(log_value("a\xff"
                      "b"),
            "\"a\\xff"
            "b\"");
  EXPECT_EQ(log_value("a\xe2\x80"), "\"a\\xe2\\x80\"") << "a sequence cut short";
  EXPECT_EQ(log_value("a\xf5\x80\x80"), "\"a\\xf5\\x80\\x80\"") << "no UTF-8 lead byte";
  EXPECT_EQ(log_value("a\xe0\x80\xaf"), "\"a\\xe0\\x80\\xaf\"") << "an overlong '/'";
  EXPECT_EQ(log_value("Caerdydd–Bangor ŵ"), "\"Caerdydd–Bangor ŵ\"") << "letters stay";
  EXPECT_EQ(log_value("Caerdydd–Bangor"), "Caerdydd–Bangor");
}

TEST(LogValue, CutsLongValuesOnACharacterBoundary) {
  std::string value(199, 'a');
  value += "ŵŵŵ";  // the cut at 200 bytes falls inside the first ŵ
  EXPECT_EQ(log_value(value), "\"" + std::string(199, 'a') + "...\"");
}

TEST(Logging, WritesLogfmtLinesWithModuleAndLevel) {
  std::ostringstream out;
  ASSERT_TRUE(configure_logging({std::make_shared<spdlog::sinks::ostream_sink_mt>(out)}, "debug"));
  logger("dispatch")->info("sent event_id={}", log_value("evt-1"));
  logger("dispatch")->debug("detail");
  auto text = out.str();
  EXPECT_NE(text.find("level=info module=dispatch sent event_id=evt-1"), std::string::npos) << text;
  EXPECT_NE(text.find("detail"), std::string::npos);
  EXPECT_FALSE(set_log_level("loud"));
  EXPECT_TRUE(set_log_level("warn"));
  logger("dispatch")->info("hidden");
  EXPECT_EQ(out.str().find("hidden"), std::string::npos);
}

}  // namespace
}  // namespace herald
