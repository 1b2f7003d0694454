#include "herald/app/journal_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "herald/app/dead_letters.hpp"
#include "herald/core/logging.hpp"

namespace herald {
namespace {

using Fields = std::vector<std::string>;

TEST(JournalFields, CarriesPriorityIdentifierModuleAndOneFieldPerKey) {
  auto fields =
      journal_fields("dispatch", spdlog::level::warn,
                     "msg=sent event_id=evt-1 notification_id=evt-1:email gateway=webhook");
  EXPECT_EQ(fields, (Fields{"MESSAGE=module=dispatch msg=sent event_id=evt-1 "
                            "notification_id=evt-1:email gateway=webhook",
                            "PRIORITY=4", "SYSLOG_IDENTIFIER=herald", "MODULE=dispatch",
                            "EVENT_ID=evt-1", "NOTIFICATION_ID=evt-1:email", "GATEWAY=webhook"}));
}

TEST(JournalFields, MapsLevelsToSyslogPriorities) {
  auto priority = [](spdlog::level::level_enum l) { return journal_fields("app", l, "msg=x")[1]; };
  EXPECT_EQ(priority(spdlog::level::trace), "PRIORITY=7");
  EXPECT_EQ(priority(spdlog::level::debug), "PRIORITY=7");
  EXPECT_EQ(priority(spdlog::level::info), "PRIORITY=6");
  EXPECT_EQ(priority(spdlog::level::err), "PRIORITY=3");
  EXPECT_EQ(priority(spdlog::level::critical), "PRIORITY=2");
}

TEST(JournalFields, UnquotesWhatLogValueQuoted) {
  const std::string hostile = "evt \"1\"\nPRIORITY=0";
  auto fields = journal_fields("source", spdlog::level::info,
                               "msg=\"cannot read\" event_id=" + log_value(hostile) + " left=2");
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[0],
            "MESSAGE=module=source msg=\"cannot read\" event_id=" + log_value(hostile) + " left=2");
  EXPECT_EQ(fields[4], "EVENT_ID=" + hostile) << "the value itself, in its own field";
  EXPECT_EQ(fields[5], "LEFT=2");
}

TEST(JournalFields, NeverShadowsSystemdsFieldsNorInventsBadNames) {
  auto fields = journal_fields("app", spdlog::level::info,
                               "msg=x priority=0 _pid=1 message=y 2fa=z code_file=a");
  EXPECT_EQ(fields[1], "PRIORITY=6");
  const Fields rest(fields.begin() + 4, fields.end());
  EXPECT_EQ(rest, (Fields{"HERALD_PRIORITY=0", "PID=1", "HERALD_MESSAGE=y", "HERALD_2FA=z",
                          "HERALD_CODE_FILE=a"}));
}

TEST(JournalFields, DropsPersonalKeysFromFieldsAndMessage) {
  auto fields = journal_fields("dispatch", spdlog::level::info,
                               "msg=sent case_ref=GWF012345678 email=katie@example.org "
                               "event_id=evt-1");
  for (const auto& f : fields) {
    EXPECT_EQ(f.find("GWF012345678"), std::string::npos) << f;
    EXPECT_EQ(f.find("katie@"), std::string::npos) << f;
  }
  EXPECT_EQ(fields[0], "MESSAGE=module=dispatch msg=sent event_id=evt-1");
}

TEST(JournalStream, IsRecognisedByDeviceAndInodeOfTheDescriptor) {
  char path[] = "/tmp/herald-journal-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  const auto mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const auto other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_TRUE(is_journal_stream(mine.c_str(), fd));
  EXPECT_FALSE(is_journal_stream(other.c_str(), fd));
  EXPECT_FALSE(is_journal_stream(nullptr, fd));
  EXPECT_FALSE(is_journal_stream("garbage", fd));
  EXPECT_FALSE(is_journal_stream((mine + "x").c_str(), fd));
  ::close(fd);
  ::unlink(path);
}

TEST(LogSinks, StderrUnlessAskedForTheJournal) {
  EXPECT_EQ(dynamic_cast<JournalSink*>(log_sinks("stderr").at(0).get()), nullptr);
  // Without journald (a container, CI) `journal` falls back to stderr: sd_journal_sendv would
  // drop the lines without an error.
  const bool journald = std::filesystem::exists("/run/systemd/journal/socket");
  EXPECT_EQ(dynamic_cast<JournalSink*>(log_sinks("journal").at(0).get()) != nullptr, journald);
}

TEST(DeadLetter, TakesTimeFromTheIdAndEventIdFromTheEvent) {
  auto d = make_dead_letter("1795432328622-0",
                            {{"event", R"({"id":"evt-9","case_ref":"X"})"}, {"reason", "no rule"}});
  EXPECT_EQ(d.time.time_since_epoch().count(), 1795432328622);
  EXPECT_EQ(d.event_id, "evt-9");
  EXPECT_EQ(d.reason, "no rule");
  EXPECT_EQ(make_dead_letter("1-0", {{"event", "{broken"}}).event_id, "");
  EXPECT_TRUE(is_stream_id("1795432328622-0"));
  for (const char* bad : {"", "-", "1-", "-1", "1795432328622", "abc-1", "1-0; DEL x"})
    EXPECT_FALSE(is_stream_id(bad)) << bad;
}

TEST(DeadLetter, TakesNoEventIdThatBreaksTheIdRule) {
  // What `dead list` prints: an id the daemon would not log either (a name and number pasted in).
  for (const char* event :
       {R"({"id":"Katie McNally +447700900123"})", R"({"id":""})", R"({"id":"evté"})"})
    EXPECT_EQ(make_dead_letter("1-0", {{"event", event}}).event_id, "") << event;
  const std::string long_id(129, 'x');
  EXPECT_EQ(make_dead_letter("1-0", {{"event", R"({"id":")" + long_id + R"("})"}}).event_id, "");
  EXPECT_EQ(make_dead_letter("1-0", {{"event", R"({"id":"evt-9:a/b"})"}}).event_id, "evt-9:a/b");
}

}  // namespace
}  // namespace herald
