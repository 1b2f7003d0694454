#include "herald/app/cli.hpp"

#include "cli_common.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <spdlog/sinks/stdout_sinks.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "herald/app/daemon.hpp"
#include "herald/app/gateways.hpp"
#include "herald/app/journal_sink.hpp"
#include "herald/app/loaded_config.hpp"
#include "herald/app/prepared_event.hpp"
#include "herald/config/config_loader.hpp"
#include "herald/core/logging.hpp"
#include "herald/core/time_format.hpp"
#include "herald/redis/sigpipe.hpp"
#include "herald/rules/contact_plan.hpp"

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.0.0"
#endif

namespace herald {
namespace {

// Exit codes, UsageError, parse() and common_options() are shared with the commands in their
// own files (cli_common.hpp).
using namespace cli;

// Loads config and templates; prints every problem and returns nullopt when there is any.
// `with_gateways`: also what building the gateways would find wrong (check_gateways), for the
// commands that check a config for running or run it.
std::optional<LoadedConfig> load(const std::string& path, std::ostream& err,
                                 bool with_gateways = false) {
  std::vector<ConfigProblem> problems;
  std::optional<Config> partial;
  auto loaded = load_config_and_templates(path, problems, &partial);
  if (with_gateways) {
    if (loaded)
      check_gateways(*loaded->config, problems);
    else if (partial)
      check_gateways_of(*partial, problems);  // every problem at once
  }
  if (!problems.empty()) {
    for (const auto& p : problems) err << to_string(p) << '\n';
    err << "herald: " << problems.size() << " problem" << (problems.size() == 1 ? "" : "s")
        << " in the configuration\n";
    return std::nullopt;
  }
  return loaded;
}

std::string read_event(const std::string& file) {
  std::ostringstream text;
  if (file.empty() || file == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw UsageError("cannot read event file '" + file + "'");
    text << in.rdbuf();
  }
  return text.str();
}

int cmd_check_config(int argc, char** argv) {
  std::string config;
  bool help = false;
  auto options = common_options(
      "herald check-config [--config FILE]\n\n"
      "Validates the configuration and every template it references; prints every problem at\n"
      "once (file, line, key path). Exit 0 when valid, 2 otherwise.\n\nOptions",
      config, help);
  auto vm = parse(argc, argv, options, {});
  if (help) return std::cout << options << '\n', kOk;
  auto loaded = load(config, std::cerr, /*with_gateways=*/true);
  if (!loaded) return kBadInput;
  std::size_t templates = 0;
  std::set<std::string> names;
  for (const auto& r : loaded->config->rules) names.insert(r.template_name);
  templates = names.size();
  std::cout << config << ": ok (" << loaded->config->rules.size() << " rules, " << templates
            << " templates)\n";
  return kOk;
}

boost::json::object message_json_for_render(const Message& m) {
  boost::json::object o;
  o["channel"] = to_string(m.channel);
  o["to"] = m.to;
  if (m.channel == Channel::email) o["subject"] = m.subject;
  o["body"] = m.body;
  if (m.channel == Channel::email) o["html"] = m.html;
  o["language"] = m.language;
  o["template"] = m.template_name;
  return o;
}

int cmd_render(int argc, char** argv) {
  std::string config, event_file;
  bool help = false;
  auto options = common_options(
      "herald render [--config FILE] [EVENT_FILE|-]\n\n"
      "Prints, as JSON, the messages the event would produce. Reads the event from EVENT_FILE, or\n"
      "from standard input given '-' or no file. Exit 2 when the event is invalid.\n\nOptions",
      config, help);
  options.add_options()("event", po::value(&event_file), "event file");
  po::positional_options_description positional;
  positional.add("event", 1);
  auto vm = parse(argc, argv, options, positional);
  if (help) return std::cout << options << '\n', kOk;
  auto loaded = load(config, std::cerr);
  if (!loaded) return kBadInput;
  TimeZones zones;
  auto prepared = prepare_event(read_event(event_file), *loaded->config, *loaded->templates, zones);
  if (auto* error = std::get_if<PreparationError>(&prepared)) {
    std::cerr << "herald: invalid event: " << error->reason << '\n';
    return kBadInput;
  }
  boost::json::array out;
  for (const auto& m : std::get<PreparedEvent>(prepared).messages)
    out.push_back(message_json_for_render(m));
  std::cout << boost::json::serialize(out) << '\n';
  return kOk;
}

std::vector<Instant> parse_failed(const std::string& list) {
  std::vector<Instant> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    auto t = parse_rfc3339(item);
    if (!t) throw UsageError("--failed: '" + item + "' is not an RFC 3339 date-time");
    out.push_back(*t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int cmd_plan(int argc, char** argv) {
  std::string config, event_file, now_text, failed_text;
  bool help = false;
  auto options = common_options(
      "herald plan [--config FILE] --now RFC3339 [--failed ISO,ISO,...] [EVENT_FILE|-]\n\n"
      "Prints, as JSON, what the daemon would do with this event at that instant, given earlier\n"
      "failed contact attempts of the same notification (CONTRACT.md section 5).\n\nOptions",
      config, help);
  options.add_options()("now", po::value(&now_text), "the instant to plan at (RFC 3339)")(
      "failed", po::value(&failed_text), "earlier failed attempts, comma-separated RFC 3339")(
      "event", po::value(&event_file), "event file");
  po::positional_options_description positional;
  positional.add("event", 1);
  auto vm = parse(argc, argv, options, positional);
  if (help) return std::cout << options << '\n', kOk;
  if (now_text.empty()) throw UsageError("--now is required");
  auto now = parse_rfc3339(now_text);
  if (!now) throw UsageError("--now: '" + now_text + "' is not an RFC 3339 date-time");
  auto failed = parse_failed(failed_text);
  auto loaded = load(config, std::cerr);
  if (!loaded) return kBadInput;
  TimeZones zones;
  auto prepared = prepare_event(read_event(event_file), *loaded->config, *loaded->templates, zones);
  if (auto* error = std::get_if<PreparationError>(&prepared)) {
    std::cerr << "herald: invalid event: " << error->reason << '\n';
    return kBadInput;
  }
  const auto& p = std::get<PreparedEvent>(prepared);
  if (auto future = from_the_future(p.event, *now)) {
    std::cerr << "herald: invalid event: " << *future << '\n';
    return kBadInput;
  }
  boost::json::array decisions;
  for (const auto& m : p.messages) {
    auto d =
        plan_attempt(*now, contact_policy(p.event, m.channel, loaded->config->contact), failed);
    boost::json::object o;
    o["channel"] = to_string(m.channel);
    o["action"] = to_string(d.action);
    if (d.at && (d.action == PlanAction::send || d.action == PlanAction::defer))
      o["at"] = format_rfc3339(*d.at);
    o["reason"] = d.reason;
    decisions.push_back(std::move(o));
  }
  for (const auto& [channel, reason] : p.left_out)
    decisions.push_back(boost::json::object{
        {"channel", to_string(channel)}, {"action", "suppress"}, {"reason", reason}});
  std::cout << boost::json::serialize(boost::json::object{{"decisions", decisions}}) << '\n';
  return kOk;
}

int cmd_run(int argc, char** argv) {
  std::string config;
  bool help = false;
  auto options = common_options(
      "herald run [--config FILE]\n\n"
      "Runs the daemon in the foreground (under systemd: Type=notify). SIGTERM or SIGINT stop it\n"
      "after the work in flight is finished (shutdown.drain_timeout_ms); a second one stops it\n"
      "at once, leaving what is unfinished to be picked up after a restart. SIGHUP reloads the\n"
      "config and templates, or keeps the running ones when the new ones have problems.\n"
      "HERALD_REDIS_URL, when set, replaces redis.url.\n\n"
      "Options",
      config, help);
  auto vm = parse(argc, argv, options, {});
  if (help) return std::cout << options << '\n', kOk;
  auto loaded = load(config, std::cerr, /*with_gateways=*/true);
  if (!loaded) return kBadInput;
  configure_logging(log_sinks(loaded->config->log.target), loaded->config->log.level);

  // A Redis restart under a command being written must not end herald (sigpipe.hpp).
  SigpipeIgnored sigpipe_ignored;

  boost::asio::io_context io(1);
  SystemClock clock;
  Daemon daemon(io, loaded->config, loaded->templates, clock);
  daemon.drain_timeout = loaded->config->shutdown.drain_timeout;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  int exit_code = kRuntimeFailure;
  bool stopping = false;
  bool finished = false;  // daemon.run() has returned
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      // A reload during the drain would swap the gateways the work in flight is using.
      if (stopping)
        logger("app")->info("msg=\"reload ignored: stopping\"");
      else
        daemon.reload();
      signals.async_wait(on_signal);
      return;
    }
    if (!stopping) {
      stopping = true;
      logger("app")->info("msg=\"signal received\" signal={}", signal);
      daemon.stop();
      signals.async_wait(on_signal);  // a second one ends the drain
      return;
    }
    // An operator who does not want to wait for the drain (Ctrl-C twice). Leaving now is what a
    // drain that timed out does: what is in flight is safe in Redis and picked up after restart.
    logger("app")->warn(
        "msg=\"second signal: stopping now, unfinished work is picked up after restart\" "
        "signal={} in_flight={}",
        signal, daemon.in_flight());
    exit_code = kOk;
    io.stop();
  };
  signals.async_wait(on_signal);

  boost::asio::co_spawn(io, daemon.run(), [&](std::exception_ptr e, int code) {
    finished = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logger("app")->critical("msg=\"fatal error\" error={}", log_value(ex.what()));
      }
      exit_code = kRuntimeFailure;
    } else {
      exit_code = code;
    }
    signals.cancel();
    io.stop();
  });
  io.run();
  if (!finished || !daemon.idle()) {
    // Work the drain timeout (or a second signal) cut off is still suspended in the loop; the
    // loop, destroyed after the daemon, would run its destructors against the daemon's freed
    // members. Its state is safe in Redis (unacknowledged, or leased in the schedule): leave
    // without unwinding.
    std::fflush(nullptr);
    std::_Exit(exit_code);
  }
  return exit_code;
}

int cmd_version(int argc, char** argv) {
  bool help = false;
  po::options_description options(
      "herald version\n\n"
      "Prints the version.\n\nOptions");
  options.add_options()("help,h", po::bool_switch(&help), "show this help");
  parse(argc, argv, options, {});
  if (help) return std::cout << options << '\n', kOk;
  std::cout << "herald " HERALD_VERSION "\n";
  return kOk;
}

void print_usage(std::ostream& out) {
  out << "herald " HERALD_VERSION
         " - notification dispatch daemon\n\n"
         "usage: herald COMMAND [OPTIONS]\n\n"
         "commands:\n"
         "  run           run the daemon in the foreground\n"
         "  check-config  validate the configuration and its templates\n"
         "  render        print the messages an event would produce\n"
         "  plan          print what the daemon would do with an event at an instant\n"
         "  dead          list or replay the dead letters (dead list, dead replay)\n"
         "  status        a case's timeline and its notifications not finished yet\n"
         "  scheduled     what is waiting, by due hour and reason\n"
         "  version       print the version\n\n"
         "'herald COMMAND --help' describes each command.\n";
}

}  // namespace

int run_cli(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return kBadInput;
  }
  std::string command = argv[1];
  try {
    if (command == "run") return cmd_run(argc - 1, argv + 1);
    if (command == "check-config") return cmd_check_config(argc - 1, argv + 1);
    if (command == "render") return cmd_render(argc - 1, argv + 1);
    if (command == "plan") return cmd_plan(argc - 1, argv + 1);
    if (command == "dead") return cmd_dead(argc - 1, argv + 1);
    if (command == "status") return cmd_status(argc - 1, argv + 1);
    if (command == "scheduled") return cmd_scheduled(argc - 1, argv + 1);
    if (command == "version" || command == "--version") return cmd_version(argc - 1, argv + 1);
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(std::cout);
      return kOk;
    }
    std::cerr << "herald: unknown command '" << command << "'\n\n";
    print_usage(std::cerr);
    return kBadInput;
  } catch (const UsageError& e) {
    std::cerr << "herald " << command << ": " << e.what() << "\n(see 'herald " << command
              << " --help')\n";
    return kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "herald " << command << ": " << e.what() << '\n';
    return kRuntimeFailure;
  }
}

}  // namespace herald
