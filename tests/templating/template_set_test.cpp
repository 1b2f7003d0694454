#include "herald/templating/template_set.hpp"

#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald {
namespace {

namespace fs = std::filesystem;

// A private directory of template files, removed at the end of the test.
class TemplateDir {
 public:
  TemplateDir() {
    std::string pattern = (fs::temp_directory_path() / "herald-templates-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TemplateDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TemplateDir(const TemplateDir&) = delete;
  TemplateDir& operator=(const TemplateDir&) = delete;

  void write(const std::string& name, const std::string& yaml) const {
    std::ofstream(path_ / (name + ".yaml"), std::ios::binary) << yaml;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string describe(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += p.file.filename().string() + ":" + std::to_string(p.line) + ": " + p.key_path + ": " +
           p.message + "\n";
  return out;
}

// The problem reported at `key_path`, or nullptr.
const ConfigProblem* at(const std::vector<ConfigProblem>& problems, const std::string& key_path) {
  for (const auto& p : problems)
    if (p.key_path == key_path) return &p;
  return nullptr;
}

Rule rule(std::string status, std::string tmpl,
          std::vector<Channel> channels = {Channel::email, Channel::sms}) {
  return Rule{std::move(status), std::move(tmpl), std::move(channels), false};
}

const std::string kGood = R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}" }
sms:
  en: "Application {{case_ref}} received"
  cy: "Cais {{case_ref}} wedi dod i law"
)";

TEST(TemplateSet, LoadsTheTemplatesTheRulesName) {
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(fs::path(HERALD_TEST_DATA_DIR) / "templates",
                               {rule("application_received", "application_received"),
                                rule("documents_needed", "documents_needed"),
                                rule("decision_dispatched", "decision_dispatched")},
                               kLanguages, problems);
  EXPECT_TRUE(problems.empty()) << describe(problems);
  for (const char* name : {"application_received", "documents_needed", "decision_dispatched"}) {
    const Template* tmpl = set->find(name);
    ASSERT_NE(tmpl, nullptr) << name;
    for (auto channel : kAllChannels)
      for (const auto& language : kLanguages)
        EXPECT_NE(tmpl->find(channel, language), nullptr) << name << " " << language;
  }
  EXPECT_EQ(set->find("case_update"), nullptr);
}

TEST(TemplateSet, ShipsExampleTemplatesThatLoadWithoutProblems) {
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(HERALD_PRODUCT_TEMPLATES_DIR,
                               {rule("application_received", "application_received"),
                                rule("documents_needed", "documents_needed"),
                                rule("decision_dispatched", "decision_dispatched")},
                               kLanguages, problems);
  EXPECT_TRUE(problems.empty()) << describe(problems);
  const Template* tmpl = set->find("decision_dispatched");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_FALSE(tmpl->find(Channel::email, "cy")->html.empty());
}

TEST(TemplateSet, ReportsAMissingFileWithItsPath) {
  TemplateDir dir;
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path(), {rule("decision_dispatched", "decision_dispatched")},
                               kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].file, dir.path() / "decision_dispatched.yaml");
  EXPECT_NE(problems[0].message.find("not found"), std::string::npos);
  EXPECT_EQ(set->find("decision_dispatched"), nullptr);
}

bool says(const ConfigProblem& p, const std::string& text) {
  return p.message.find(text) != std::string::npos;
}

TEST(TemplateSet, ReportsASymlinkLoopAsUnreadableWithTheReasonNotAsMissing) {
  // Unreadable for root too (CI runs as root): stat fails with ELOOP.
  TemplateDir dir;
  fs::create_symlink("loop_b.yaml", dir.path() / "loop_a.yaml");
  fs::create_symlink("loop_a.yaml", dir.path() / "loop_b.yaml");
  fs::create_symlink("nowhere.yaml", dir.path() / "dangling.yaml");
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path(), {rule("a", "loop_a"), rule("b", "dangling")}, kLanguages,
                               problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_EQ(problems[0].file, dir.path() / "loop_a.yaml");
  EXPECT_TRUE(says(problems[0],
                   "cannot read the template file: " +
                       std::make_error_code(std::errc::too_many_symbolic_link_levels).message()))
      << describe(problems);
  EXPECT_FALSE(says(problems[0], "not found")) << describe(problems);
  // A symlink to nothing: the file really is not there.
  EXPECT_EQ(problems[1].file, dir.path() / "dangling.yaml");
  EXPECT_TRUE(says(problems[1], "template file not found")) << describe(problems);
  EXPECT_EQ(set->find("loop_a"), nullptr);
}

TEST(TemplateSet, ReportsAPathThatIsNotAFileForWhatItIs) {
  TemplateDir dir;
  fs::create_directory(dir.path() / "folder.yaml");
  dir.write("plain", kGood);
  std::vector<ConfigProblem> problems;
  // A directory where a template is expected; a regular file where the directory is expected
  // (ENOTDIR: nothing can be there, so it is missing, not a permission problem).
  TemplateSet::load(dir.path(), {rule("a", "folder")}, kLanguages, problems);
  TemplateSet::load(dir.path() / "plain.yaml", {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_TRUE(says(problems[0], "not a regular file")) << describe(problems);
  EXPECT_FALSE(says(problems[0], "not found")) << describe(problems);
  EXPECT_TRUE(says(problems[1], "template file not found")) << describe(problems);
  EXPECT_FALSE(says(problems[1], "Permission denied")) << describe(problems);
}

TEST(TemplateSet, ReportsAnUnreadableDirectoryOrFileAsPermissionDeniedNotAsMissing) {
  TemplateDir dir;
  dir.write("secret", kGood);
  fs::create_directory(dir.path() / "closed");
  std::ofstream(dir.path() / "closed" / "update.yaml") << kGood;
  fs::permissions(dir.path() / "secret.yaml", fs::perms::none);
  fs::permissions(dir.path() / "closed", fs::perms::none);
  struct Restore {  // or the TemplateDir cannot remove them
    fs::path dir;
    ~Restore() {
      std::error_code ec;
      fs::permissions(dir / "closed", fs::perms::owner_all, ec);
      fs::permissions(dir / "secret.yaml", fs::perms::owner_all, ec);
    }
  } restore{dir.path()};
  if (std::ifstream(dir.path() / "secret.yaml"))
    GTEST_SKIP() << "mode 000 does not stop this user reading (root): the symlink loop test "
                    "covers an unreadable template for root";
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "secret")}, kLanguages, problems);
  TemplateSet::load(dir.path() / "closed", {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  const auto denied = std::make_error_code(std::errc::permission_denied).message();
  for (const auto& p : problems) {
    EXPECT_TRUE(says(p, "cannot read the template file: " + denied)) << describe(problems);
    EXPECT_FALSE(says(p, "not found")) << describe(problems);
  }
}

TEST(TemplateSet, RefusesATemplateNameThatCouldLeaveTheDirectory) {
  TemplateDir dir;
  dir.write("secret", kGood);
  fs::create_directory(dir.path() / "sub");
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path() / "sub",
                               {rule("a", "../secret"), rule("b", "/etc/passwd"), rule("c", "")},
                               kLanguages, problems);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  for (const auto& p : problems)
    EXPECT_NE(p.message.find("not a plain file name"), std::string::npos) << p.message;
  EXPECT_EQ(set->find("../secret"), nullptr);
}

TEST(TemplateSet, LoadsATemplateSharedByTwoRulesOnce) {
  TemplateDir dir;
  dir.write("update", kGood);
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path(), {rule("a", "update"), rule("b", "update")}, kLanguages,
                               problems);
  EXPECT_TRUE(problems.empty()) << describe(problems);
  EXPECT_NE(set->find("update"), nullptr);
}

TEST(TemplateSet, NeedsEveryChannelOfEveryRuleSharingATemplate) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "b" }
  cy: { subject: "s", body: "b" }
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update", {Channel::email}), rule("b", "update")},
                    kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].key_path, "sms");
  EXPECT_NE(problems[0].message.find("missing"), std::string::npos);
}

TEST(TemplateSet, DoesNotNeedAChannelNoRuleSendsBy) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "b" }
  cy: { subject: "s", body: "b" }
)");
  std::vector<ConfigProblem> problems;
  auto set =
      TemplateSet::load(dir.path(), {rule("a", "update", {Channel::email})}, kLanguages, problems);
  EXPECT_TRUE(problems.empty()) << describe(problems);
  EXPECT_NE(set->find("update"), nullptr);
}

TEST(TemplateSet, ReportsAMissingLanguageWhereTheChannelIs) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "b" }
sms:
  cy: "c"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  ASSERT_NE(at(problems, "email.cy"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.cy")->line, 2);
  ASSERT_NE(at(problems, "sms.en"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "sms.en")->line, 4);
}

TEST(TemplateSet, ReportsUnknownKeysAndLanguagesWithTheirLines) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "b", footer: "f" }
  cy: { subject: "s", body: "b" }
  fr: { subject: "s", body: "b" }
sms:
  en: "e"
  cy: "c"
letter:
  en: "l"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  ASSERT_NE(at(problems, "email.en.footer"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.en.footer")->line, 2);
  ASSERT_NE(at(problems, "email.fr"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.fr")->line, 4);
  EXPECT_NE(at(problems, "email.fr")->message.find("unknown language"), std::string::npos);
  ASSERT_NE(at(problems, "letter"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "letter")->line, 8);
  EXPECT_NE(at(problems, "letter")->message.find("unknown key"), std::string::npos);
}

TEST(TemplateSet, ReportsAMissingSubjectOrBody) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { body: "b" }
  cy: { subject: "s" }
sms:
  en: "e"
  cy: "c"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  ASSERT_NE(at(problems, "email.en.subject"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.en.subject")->line, 2);
  ASSERT_NE(at(problems, "email.cy.body"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.cy.body")->line, 3);
}

TEST(TemplateSet, ReportsValuesThatAreNotText) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: [a, b], body: "" }
  cy: "just text"
sms:
  en: { body: "e" }
  cy: ~
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  EXPECT_EQ(problems.size(), 5u) << describe(problems);
  for (const char* path : {"email.en.subject", "email.en.body", "email.cy", "sms.en", "sms.cy"})
    EXPECT_NE(at(problems, path), nullptr) << path << "\n" << describe(problems);
}

TEST(TemplateSet, ReportsRepeatedKeys) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "b" }
  cy: { subject: "s", body: "b" }
  en: { subject: "s", body: "b" }
sms:
  en: "e"
  cy: "c"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].key_path, "email.en");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message, "repeated key");
}

TEST(TemplateSet, ReportsMustacheSyntaxErrorsWithKeyPathAndLine) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en:
    subject: "Your application {{case_ref"
    body: |
      Dear {{salutation}},

      {{#data.vac_name}}Your documents are at {{data.vac_name}}.
      Thank you.
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}" }
sms:
  en: "Application {{/case_ref}}"
  cy: "Cais {{case_ref}}"
)");
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  ASSERT_NE(at(problems, "email.en.subject"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.en.subject")->line, 3);
  EXPECT_NE(at(problems, "email.en.subject")->message.find("Unclosed tag"), std::string::npos);
  ASSERT_NE(at(problems, "email.en.body"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "email.en.body")->line, 7) << "the line of the unclosed section";
  EXPECT_NE(at(problems, "email.en.body")->message.find("data.vac_name"), std::string::npos);
  ASSERT_NE(at(problems, "sms.en"), nullptr) << describe(problems);
  EXPECT_EQ(at(problems, "sms.en")->line, 11);
  EXPECT_EQ(set->find("update"), nullptr);
}

TEST(TemplateSet, ReportsEveryProblemOfEveryFileAtOnce) {
  TemplateDir dir;
  dir.write("first", R"(email:
  en: { subject: "{{#x}}", body: "b", extra: 1 }
sms:
  en: "e"
  cy: "c"
)");
  dir.write("second", "email: [\n");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "first"), rule("b", "second"), rule("c", "third")},
                    kLanguages, problems);
  EXPECT_EQ(problems.size(), 5u) << describe(problems);
  EXPECT_NE(at(problems, "email.en.extra"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.cy"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.en.subject"), nullptr) << describe(problems);
  int second = 0, third = 0;
  for (const auto& p : problems) {
    if (p.file.filename() == "second.yaml") ++second;
    if (p.file.filename() == "third.yaml") ++third;
  }
  EXPECT_EQ(second, 1) << "invalid YAML";
  EXPECT_EQ(third, 1) << "missing file";
}

TEST(TemplateSet, ReportsInvalidYamlWithItsLine) {
  TemplateDir dir;
  dir.write("update", "email:\n  en: { subject: \"s\", body: \"b\"\nsms:\n  en: x\n");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_NE(problems[0].message.find("not valid YAML"), std::string::npos);
  EXPECT_GT(problems[0].line, 1);
}

TEST(TemplateSet, SaysATemplateNestedTooDeepIsNestedTooDeep) {
  TemplateDir dir;
  dir.write("update", "email:\n  en: " + std::string(3000, '[') + std::string(3000, ']') + "\n");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].message, "not valid YAML: nested deeper than yaml-cpp reads (2000 levels)");
}

// A template saved as Latin-1 passed check-config, and its bytes reached the gateways as they
// were: garbled text for the citizen, in a body that is not valid JSON.
TEST(TemplateSet, ReportsAFileThatIsNotUtf8WithItsLine) {
  TemplateDir dir;
  dir.write("update",
            "email:\n  en: { subject: \"s\", body: \"b\" }\n  cy: { subject: \"s\", body: "
            "\"cysylltu \xe2 ni\" }\nsms:\n  en: \"e\"\n  cy: \"c\"\n");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_NE(problems[0].message.find("not valid UTF-8 (byte 0xE2)"), std::string::npos)
      << problems[0].message;
}

TEST(TemplateSet, ReportsAnEmptyFile) {
  TemplateDir dir;
  dir.write("update", "");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_NE(problems[0].message.find("empty"), std::string::npos);
}

TEST(TemplateSet, ReportsAVariableTheRendererDoesNotProvide) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "{{case_reference}}", body: "{{recipient.surname}} {{data}}" }
  cy: { subject: "{{case_ref}}", body: "{{#data.items}}{{name}}{{/data.items}}" }
sms:
  en: "{{recipient.phone}} {{recipient.timezone}} {{occurred_at}} {{status}}"
  cy: "{{#recipient}}{{title}}{{/recipient}}"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  ASSERT_NE(at(problems, "email.en.subject"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.en.subject")->message.find("unknown variable 'case_reference'"),
            std::string::npos);
  int body = 0;
  for (const auto& p : problems) body += p.key_path == "email.en.body";
  EXPECT_EQ(body, 2) << describe(problems);
}

// The shipped templates put {{salutation}} inside {{#salutation}}; names inside any section went
// unchecked, so a typo there passed check-config and dead-lettered every event it rendered for.
// Only a section over a group (recipient, data, a value in data) can hold names of its own.
TEST(TemplateSet, ChecksNamesInsideSectionsOverTextAndEmptyPartsOfDataNames) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "{{case_ref}}", body: "{{#salutation}}Dear {{salutaion}},{{/salutation}}" }
  cy: { subject: "{{#recipient.name}}{{nmae}}{{/recipient.name}}", body: "{{data.x.}} {{data..y}}" }
sms:
  en: "{{#salutation}}{{.}} {{case_ref}}{{/salutation}} {{#data.slots}}{{time}}{{/data.slots}}"
  cy: "{{#data.office}}{{#salutation}}{{city}}{{/salutation}}{{/data.office}}"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 4u) << describe(problems);
  ASSERT_NE(at(problems, "email.en.body"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.en.body")->message.find("unknown variable 'salutaion'"),
            std::string::npos);
  ASSERT_NE(at(problems, "email.cy.subject"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.cy.subject")->message.find("'nmae'"), std::string::npos);
  int body = 0;
  for (const auto& p : problems) body += p.key_path == "email.cy.body";
  EXPECT_EQ(body, 2) << describe(problems);
}

TEST(TemplateSet, RefusesUnescapedValuesInHtml) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "{{{case_ref}}}", body: "{{&case_ref}}", html: "<p>{{{data.note}}}</p>" }
  cy: { subject: "s", body: "b", html: "<p>{{&data.note}}</p>" }
sms:
  en: "{{{case_ref}}}"
  cy: "c"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_NE(at(problems, "email.en.html"), nullptr) << describe(problems);
  EXPECT_NE(at(problems, "email.cy.html"), nullptr) << describe(problems);
}

TEST(TemplateSet, RefusesPartials) {
  TemplateDir dir;
  dir.write("update", R"(email:
  en: { subject: "s", body: "{{> footer}}" }
  cy: { subject: "s", body: "b" }
sms:
  en: "e"
  cy: "c"
)");
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].key_path, "email.en.body");
  EXPECT_NE(problems[0].message.find("partials"), std::string::npos);
}

TEST(ParseTemplate, ReturnsATemplateOnlyWhenItHasNoProblems) {
  std::vector<ConfigProblem> problems;
  auto good = parse_template("update", kGood, "update.yaml", {Channel::email, Channel::sms},
                             kLanguages, problems);
  ASSERT_TRUE(good.has_value()) << describe(problems);
  EXPECT_EQ(good->find(Channel::sms, "cy")->body, "Cais {{case_ref}} wedi dod i law");
  EXPECT_EQ(good->find(Channel::email, "en")->subject, "Your application {{case_ref}}");
  EXPECT_EQ(good->find(Channel::email, "fr"), nullptr);

  auto bad =
      parse_template("update", "sms: {}", "update.yaml", {Channel::email}, kLanguages, problems);
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(problems.size(), 1u) << describe(problems);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(TemplateSet, RefusesAnSmsTextThatCannotFitTheFragmentLimitEvenWithEmptyValues) {
  TemplateDir dir;
  const std::string long_english(170, 'a');  // 170 GSM-7 characters: two fragments
  const std::string welsh = "Mae eich cais ŵ " + std::string(60, 'b');  // 76 UCS-2: two
  dir.write("update",
            "email:\n"
            "  en: { subject: s, body: b }\n"
            "  cy: { subject: s, body: b }\n"
            "sms:\n"
            "  en: \"{{case_ref}} " +
                long_english +
                "{{#data.x}}more{{/data.x}}\"\n"
                "  cy: \"" +
                welsh + "{{^data.x}}{{/data.x}}\"\n");
  std::vector<ConfigProblem> problems;
  auto set = TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems, 1);
  EXPECT_EQ(set->find("update"), nullptr);
  const ConfigProblem* en = at(problems, "sms.en");
  ASSERT_NE(en, nullptr) << describe(problems);
  EXPECT_EQ(en->line, 5);
  EXPECT_NE(en->message.find("is 2 text message fragments (171 GSM-7 characters) even with every "
                             "variable empty; sms.max_fragments is 1"),
            std::string::npos)
      << en->message;
  const ConfigProblem* cy = at(problems, "sms.cy");
  ASSERT_NE(cy, nullptr) << describe(problems);
  EXPECT_NE(cy->message.find("2 text message fragments (76 UCS-2 characters"), std::string::npos)
      << cy->message;

  problems.clear();
  set = TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems, 2);
  EXPECT_TRUE(problems.empty()) << describe(problems);
  EXPECT_NE(set->find("update"), nullptr);
}

TEST(TemplateSet, CountsAnSmsTextWithCurlyQuotesAsItWillBeSent) {
  // Without its case reference, 234 characters: with the curly apostrophe kept they would be
  // four UCS-2 fragments; sent with a plain one they are two GSM-7 fragments.
  const std::string text =
      "We\u2019ve received your application {{case_ref}}. We will write to you within 20 working "
      "days to tell you our decision. If you need to send us more documents, please use the "
      "upload link in your email and quote your case reference when you contact us.";
  std::vector<ConfigProblem> problems;
  auto tmpl =
      parse_template("update", "sms:\n  en: \"" + text + "\"\n  cy: \"\u0175 " + text + "\"\n",
                     "update.yaml", {Channel::sms}, kLanguages, problems, 3);
  EXPECT_FALSE(tmpl.has_value());
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  // The Welsh ŵ still makes its text UCS-2, as GOV.UK Notify counts it.
  EXPECT_EQ(problems[0].key_path, "sms.cy");
  EXPECT_NE(problems[0].message.find("4 text message fragments (236 UCS-2 characters"),
            std::string::npos)
      << problems[0].message;
}

TEST(TemplateSet, AcceptsAnSmsThatOnlyItsValuesCouldMakeTooLong) {
  TemplateDir dir;
  dir.write("update", kGood);  // short texts; a long case_ref is the event's problem, not ours
  std::vector<ConfigProblem> problems;
  TemplateSet::load(dir.path(), {rule("a", "update")}, kLanguages, problems, 1);
  EXPECT_TRUE(problems.empty()) << describe(problems);
}

}  // namespace
}  // namespace herald
