// `herald dead list [--json]` and `herald dead replay ID|--all [--json]` (service issue, item 6).
#include <iostream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "cli_common.hpp"
#include "herald/app/dead_letters.hpp"
#include "herald/app/loaded_config.hpp"
#include "herald/core/logging.hpp"
#include "herald/core/time_format.hpp"

namespace herald::cli {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kPage = 500;

// Every dead letter, oldest first.
asio::awaitable<Answer<std::vector<DeadLetter>>> fetch_all(DeadLetters* dead) {
  Answer<std::vector<DeadLetter>> answer;
  std::vector<DeadLetter> all;
  std::string after;
  for (;;) {
    auto page = co_await dead->list(after, kPage);
    if (!page) {
      answer.error = page.error().message();
      co_return answer;
    }
    for (auto& d : *page) all.push_back(std::move(d));
    if (page->size() < kPage) break;
    after = all.back().id;
  }
  answer.value = std::move(all);
  co_return answer;
}

struct Replayed {
  std::string id;
  ReplayResult result;
  std::string event_id;
};

// Replays `ids` (or, when empty, every dead letter there is now: letters that arrive while it
// runs, such as a replayed event that is dead-lettered again, are left for the next run).
asio::awaitable<Answer<std::vector<Replayed>>> replay(DeadLetters* dead,
                                                      std::vector<std::string> ids) {
  Answer<std::vector<Replayed>> answer;
  std::vector<Replayed> done;
  std::vector<std::pair<std::string, std::string>> todo;  // id, event id
  if (ids.empty()) {
    auto last = co_await dead->last_id();
    if (!last) {
      answer.error = last.error().message();
      co_return answer;
    }
    auto all = co_await fetch_all(dead);
    if (!all.value) {
      answer.error = all.error;
      co_return answer;
    }
    // Ids only grow: everything up to the newest one seen before is what --all means.
    if (!last->empty())
      for (const auto& d : *all.value) {
        todo.emplace_back(d.id, d.event_id);
        if (d.id == *last) break;
      }
  } else {
    for (auto& id : ids) todo.emplace_back(std::move(id), "");
  }
  for (auto& [id, event_id] : todo) {
    auto result = co_await dead->replay(id);
    if (!result) {
      answer.error = result.error().message();
      answer.value = std::move(done);  // what was replayed before the failure, for the report
      co_return answer;
    }
    done.push_back(Replayed{std::move(id), *result, std::move(event_id)});
  }
  answer.value = std::move(done);
  co_return answer;
}

// Pointers, not references: coroutine parameters are taken by value (DEVELOPERS.md); named
// locals, not co_await inside conditions or conversions (GCC 12). with_redis() connects first.
asio::awaitable<Answer<std::vector<DeadLetter>>> list_op(RedisClient* redis, RedisConfig config) {
  DeadLetters dead(*redis, std::move(config));
  auto answer = co_await fetch_all(&dead);
  co_return answer;
}

asio::awaitable<Answer<std::vector<Replayed>>> replay_op(RedisClient* redis, RedisConfig config,
                                                         std::vector<std::string> ids) {
  DeadLetters dead(*redis, std::move(config));
  auto answer = co_await replay(&dead, std::move(ids));
  co_return answer;
}

boost::json::object entry_json(const DeadLetter& d) {
  boost::json::object fields;
  for (const auto& [k, v] : d.fields) fields[k] = v;
  return {{"id", d.id}, {"time", format_rfc3339(d.time)}, {"fields", std::move(fields)}};
}

int cmd_dead_list(int argc, char** argv) {
  std::string config_path;
  bool help = false, json = false;
  auto options = common_options(
      "herald dead list [--config FILE] [--json]\n\n"
      "Lists the dead-letter stream (redis.dead_stream), oldest first: entry id, time, event id\n"
      "and reason. Never prints the entries' personal fields; --json prints each stored entry\n"
      "as it is ({\"id\",\"time\",\"fields\"}), personal data included.\n\nOptions",
      config_path, help);
  options.add_options()("json", po::bool_switch(&json), "print the stored entries as JSON");
  parse(argc, argv, options, {});
  if (help) return std::cout << options << '\n', kOk;
  auto config = load_for_redis(config_path);
  if (!config) return kBadInput;
  auto answer = with_redis<std::vector<DeadLetter>>(
      *config, [&](RedisClient* r) { return list_op(r, config->redis); });
  if (!answer.value) {
    std::cerr << "herald: cannot read " << config->redis.dead_stream << " at " << answer.error
              << '\n';
    return kRuntimeFailure;
  }
  const auto& letters = *answer.value;
  if (json) {
    boost::json::array out;
    for (const auto& d : letters) out.push_back(entry_json(d));
    std::cout << boost::json::serialize(out) << '\n';
    return kOk;
  }
  std::cout << "ID\tTIME\tEVENT_ID\tREASON\n";
  for (const auto& d : letters)
    std::cout << d.id << '\t' << format_rfc3339(d.time) << '\t'
              << (d.event_id.empty() ? "-" : log_value(d.event_id)) << '\t'
              << log_value(d.event_cut ? d.reason + " (event cut short: cannot be replayed)"
                                       : d.reason)
              << '\n';
  std::cerr << letters.size() << " dead letter" << (letters.size() == 1 ? "" : "s") << " in "
            << config->redis.dead_stream << '\n';
  return kOk;
}

const char* to_string(ReplayStatus s) {
  switch (s) {
    case ReplayStatus::replayed:
      return "replayed";
    case ReplayStatus::no_event:
      return "refused: the entry has no 'event' field";
    case ReplayStatus::cut_short:
      return "refused: its event was cut short, being over limits.max_event_bytes; publish it "
             "again from its source";
    case ReplayStatus::not_found:
      return "not found";
  }
  return "unknown";
}

const char* result_name(ReplayStatus s) {
  switch (s) {
    case ReplayStatus::replayed:
      return "replayed";
    case ReplayStatus::no_event:
    case ReplayStatus::cut_short:
      return "refused";
    case ReplayStatus::not_found:
      return "not_found";
  }
  return "unknown";
}

int cmd_dead_replay(int argc, char** argv) {
  std::string config_path, id;
  bool help = false, json = false, all = false;
  auto options = common_options(
      "herald dead replay [--config FILE] ID|--all [--json]\n\n"
      "After fixing what made events fail, publishes each dead letter's original 'event' field\n"
      "to the events stream (redis.stream) again and deletes the dead letter, both in one Lua\n"
      "script: a replay is never lost nor doubled. An entry without an 'event' field, or\n"
      "whose event was cut short (over limits.max_event_bytes), is refused and kept. Exit 0 when "
      "everything asked for was replayed, 2 when an entry was\n"
      "refused or not found.\n\nOptions",
      config_path, help);
  options.add_options()("all", po::bool_switch(&all), "replay every dead letter there is now")(
      "json", po::bool_switch(&json), "print the results as JSON")("id", po::value(&id),
                                                                   "the dead letter's entry id");
  po::positional_options_description positional;
  positional.add("id", 1);
  parse(argc, argv, options, positional);
  if (help) return std::cout << options << '\n', kOk;
  if (all == !id.empty()) throw UsageError("give either an entry ID or --all");
  if (!all && !is_stream_id(id))
    throw UsageError("'" + id + "' is not a stream entry id (like 1763891234567-0)");
  auto config = load_for_redis(config_path);
  if (!config) return kBadInput;
  std::vector<std::string> ids;
  if (!all) ids.push_back(id);
  auto answer = with_redis<std::vector<Replayed>>(
      *config, [&](RedisClient* r) { return replay_op(r, config->redis, ids); });
  const auto done = answer.value.value_or(std::vector<Replayed>{});
  bool refused = false;
  boost::json::array out;
  for (const auto& r : done) {
    refused = refused || r.result.status != ReplayStatus::replayed;
    if (json) {
      boost::json::object o{{"id", r.id}, {"result", result_name(r.result.status)}};
      if (!r.result.entry_id.empty()) o["entry_id"] = r.result.entry_id;
      out.push_back(std::move(o));
    } else {
      std::cout << r.id << '\t' << to_string(r.result.status);
      if (!r.result.entry_id.empty()) std::cout << " as " << r.result.entry_id;
      std::cout << '\n';
    }
  }
  if (json) std::cout << boost::json::serialize(out) << '\n';
  if (!answer.value || !answer.error.empty()) {
    std::cerr << "herald: replay stopped, Redis at " << answer.error << '\n';
    return kRuntimeFailure;
  }
  if (all)
    std::cerr << done.size() << " dead letter" << (done.size() == 1 ? "" : "s") << " handled\n";
  return refused ? kBadInput : kOk;
}

}  // namespace

int cmd_dead(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "list") return cmd_dead_list(argc - 1, argv + 1);
  if (sub == "replay") return cmd_dead_replay(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h") {
    std::cout << "usage: herald dead list [--json] | herald dead replay ID|--all [--json]\n";
    return kOk;
  }
  throw UsageError(sub.empty() ? "missing subcommand: list or replay"
                               : "unknown subcommand '" + sub + "' (list or replay)");
}

}  // namespace herald::cli
