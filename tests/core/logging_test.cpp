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
