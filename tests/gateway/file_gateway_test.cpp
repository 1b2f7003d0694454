// FileGateway writing into a private temporary directory.
#include "herald/gateway/file_gateway.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

namespace herald {
namespace {

namespace fs = std::filesystem;

class FileGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "herald-outbox-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root = pattern;
    outbox = root / "outbox";
  }
  void TearDown() override { fs::remove_all(root); }

  SendResult send(Gateway& gateway, const Message& message) {
    std::optional<SendResult> result;
    boost::asio::co_spawn(io, gateway.send(message), [&](std::exception_ptr e, SendResult r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    io.run();
    io.restart();
    return result.value();
  }

  static Message message(std::string id, std::string body = "Your decision is ready.") {
    Message m;
    m.notification_id = std::move(id);
    m.channel = Channel::sms;
    m.to = "+447700900123";
    m.body = std::move(body);
    m.language = "en";
    m.event_id = "evt-1";
    m.case_ref = "GWF012345678";
    m.status = "decision_dispatched";
    return m;
  }

  static std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
    return names;
  }

  static std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  boost::asio::io_context io;
  fs::path root;
  fs::path outbox;
};

TEST_F(FileGatewayTest, WritesOneReadableJsonFilePerMessage) {
  FileGateway gateway(outbox);
  Message sms = message("evt-1:sms");
  Message mail = message("evt-1:email");
  mail.channel = Channel::email;
  mail.to = "katie@example.org";
  mail.subject = "Your application";

  SendResult first = send(gateway, sms);
  SendResult second = send(gateway, mail);

  EXPECT_EQ(first.kind, SendResult::Kind::accepted) << first.reason;
  EXPECT_EQ(first.gateway_message_id, "evt-1%3Asms.json");
  EXPECT_EQ(second.gateway_message_id, "evt-1%3Aemail.json");
  EXPECT_EQ(files_in(outbox), (std::set<std::string>{"evt-1%3Asms.json", "evt-1%3Aemail.json"}))
      << "exactly one file per message, no temporary files left";

  const std::string text = read(outbox / "evt-1%3Aemail.json");
  EXPECT_GT(std::count(text.begin(), text.end(), '\n'), 8) << "one field per line:\n" << text;
  EXPECT_EQ(boost::json::parse(text), boost::json::parse(message_json(mail)));
  EXPECT_EQ(boost::json::parse(read(outbox / "evt-1%3Asms.json")),
            boost::json::parse(message_json(sms)));
}

TEST_F(FileGatewayTest, RewritingTheSameNotificationReplacesTheFile) {
  FileGateway gateway(outbox);
  send(gateway, message("evt-1:sms", "first"));
  SendResult again = send(gateway, message("evt-1:sms", "second"));

  EXPECT_EQ(again.kind, SendResult::Kind::accepted);
  EXPECT_EQ(files_in(outbox).size(), 1u);
  auto body = boost::json::parse(read(outbox / again.gateway_message_id)).as_object();
  EXPECT_EQ(body.at("body"), "second");
}

TEST_F(FileGatewayTest, KeepsHostileIdsInsideTheDirectory) {
  FileGateway gateway(outbox);
  const std::vector<std::string> ids = {"../escape",
                                        "/etc/passwd",
                                        "a/b",
                                        ".hidden",
                                        "..",
                                        "",
                                        "x\ny",
                                        "%2E",
                                        "%",
                                        std::string(300, '/'),
                                        std::string(300, '/') + "x"};
  std::set<std::string> names;
  for (const auto& id : ids) {
    SendResult result = send(gateway, message(id));
    ASSERT_EQ(result.kind, SendResult::Kind::accepted) << id << ": " << result.reason;
    names.insert(result.gateway_message_id);
  }

  EXPECT_EQ(names.size(), ids.size()) << "every id has a file of its own";
  EXPECT_EQ(files_in(outbox), names);
  EXPECT_EQ(files_in(root), (std::set<std::string>{"outbox"})) << "nothing escaped";
  for (const auto& name : names) {
    EXPECT_NE(name.front(), '.') << name;
    EXPECT_LE(name.size(), 255u);
  }
}

TEST_F(FileGatewayTest, NamesFilesByPercentEncodingUnsafeBytes) {
  EXPECT_EQ(outbox_file_name("evt-2026-000123:email"), "evt-2026-000123%3Aemail.json");
  EXPECT_EQ(outbox_file_name(".a.b_c-D9"), "%2Ea.b_c-D9.json");
  EXPECT_EQ(outbox_file_name("../x"), "%2E.%2Fx.json");
  const std::string long_id(150, ':');
  EXPECT_EQ(outbox_file_name(long_id), outbox_file_name(long_id)) << "stable";
  EXPECT_NE(outbox_file_name(long_id), outbox_file_name(long_id + "a"));
}

TEST_F(FileGatewayTest, ReportsAFailedWriteAsTransient) {
  FileGateway gateway(outbox);
  fs::remove_all(outbox);

  SendResult result = send(gateway, message("evt-1:sms"));

  EXPECT_EQ(result.kind, SendResult::Kind::transient);
  EXPECT_EQ(result.reason, "outbox create failed: No such file or directory");
}

TEST_F(FileGatewayTest, CreatesItsDirectoryOrSaysWhyItCannot) {
  FileGateway nested(outbox / "a" / "b");
  EXPECT_TRUE(fs::is_directory(outbox / "a" / "b"));
  std::ofstream(root / "file") << "x";
  EXPECT_THROW(FileGateway(root / "file"), std::runtime_error);
}

// The outbox holds addresses, numbers and message bodies: under a permissive umask (a manual
// run, the demo, a container) its files were world-readable; only the unit's UMask hid them.
TEST_F(FileGatewayTest, ItsFilesAndTheDirectoryItCreatesAreNotReadableByOthers) {
  const mode_t before = ::umask(022);
  FileGateway gateway(outbox);
  const SendResult result = send(gateway, message("evt-1:sms"));
  ::umask(before);
  ASSERT_EQ(result.kind, SendResult::Kind::accepted) << result.reason;
  const auto others = fs::perms::others_all;
  EXPECT_EQ(fs::status(outbox).permissions() & others, fs::perms::none);
  EXPECT_EQ(fs::status(outbox / "evt-1%3Asms.json").permissions() & others, fs::perms::none);
  EXPECT_NE(fs::status(outbox / "evt-1%3Asms.json").permissions() & fs::perms::group_read,
            fs::perms::none)
      << "operators (the service's group) read the outbox";
}

}  // namespace
}  // namespace herald
