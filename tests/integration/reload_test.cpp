// Reloads and the state file (SPEC §6, §6a; docs/reload.md), on loopback:
// - 20 reloads under load (servers and a listener added and removed) reset no established
//   connection, lose no byte and fail no new connection;
// - an invalid file keeps the old configuration serving and is answered with its file:line error
//   (API 422, log, counter);
// - a dry run that removes one of 10 servers reports about 10% moved and changes nothing;
// - with state_file, 300 pinned clients return to their servers after a restart even though a
//   server was added meanwhile — which Maglev alone would not do.
#include <signal.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/admin/admin_instance.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

// One tcp frontend "web" (and "side" when asked) in front of pool "web" of `servers`.
std::string config_of(const std::vector<const EchoServer*>& servers, bool side = false,
                      const std::string& extra_root = "",
                      const std::string& listen = "127.0.0.1:0") {
  std::string yaml = "threads: 2\nshutdown_grace: 2s\nlog:\n  access: off\n" + extra_root;
  yaml += "frontends:\n  - name: web\n    pool: web\n    listen: [\"" + listen + "\"]\n";
  if (side) yaml += "  - name: side\n    pool: web\n    listen: [\"127.0.0.1:0\"]\n";
  yaml += "pools:\n  - name: web\n    servers:\n";
  for (const auto* s : servers)
    yaml += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
  return yaml;
}

std::vector<const EchoServer*> pick(const std::vector<std::unique_ptr<EchoServer>>& all,
                                    std::initializer_list<int> numbers) {
  std::vector<const EchoServer*> result;
  for (int n : numbers)
    result.push_back(all.at(n - 1).get());
  return result;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::trunc) << content;
}

lb::Daemon::ReloadOutcome reload(lb::Daemon& daemon, bool dry_run = false) {
  lb::Daemon::ReloadOutcome outcome;
  run_on_control(daemon, [&] { outcome = daemon.reload(dry_run); });
  return outcome;
}

void set_timeouts(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A long-lived connection through Tether to an echo server: sends numbered chunks and checks
// that each comes back whole and in order.
struct Stream {
  std::unique_ptr<tcp::socket> socket;
  std::string server;
  std::uint64_t sent = 0, received = 0;
  std::string error;  // empty while healthy
};

TEST(Reload, UnderLoadResetsNoConnectionAndLosesNoByte) {
  const auto servers = echo_pool(6);
  const std::string path = ::testing::TempDir() + "reload-under-load.yaml";
  // Reload k serves fe01-fe03, fe04 or fe05 by turns, fe06 every third time, and a second
  // frontend ("side") every other time: servers and listeners come and go.
  const auto servers_for = [&](int k) {
    auto set = pick(servers, {1, 2, 3, k % 2 ? 4 : 5});
    if (k % 3 == 0) set.push_back(servers[5].get());
    return set;
  };
  write_file(path, config_of(servers_for(0)));
  std::ifstream in(path);
  const std::string first((std::istreambuf_iterator<char>(in)), {});
  TetherInstance tether(first, path);
  const auto target = tether.endpoint();

  constexpr int kStreams = 200;
  constexpr int kStreamThreads = 4;
  constexpr std::size_t kChunk = 512;
  asio::io_context context;
  std::vector<Stream> streams(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    streams[i].socket =
        std::make_unique<tcp::socket>(connect_from(context, client_address(i), target));
    set_timeouts(*streams[i].socket, 10);
    streams[i].server = read_line(*streams[i].socket);
    ASSERT_FALSE(streams[i].server.empty()) << "stream " << i << " got no greeting";
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> streamers;
  for (int t = 0; t < kStreamThreads; ++t) {
    streamers.emplace_back([&, t] {
      std::string chunk(kChunk, '\0'), echoed(kChunk, '\0');
      for (std::uint64_t round = 0; !stop && round < 100000; ++round) {
        for (int i = t; i < kStreams; i += kStreamThreads) {
          Stream& s = streams[i];
          if (!s.error.empty()) continue;
          for (std::size_t b = 0; b < kChunk; ++b)
            chunk[b] = static_cast<char>('a' + (i + round + b) % 26);
          std::error_code ec;
          asio::write(*s.socket, asio::buffer(chunk), ec);
          if (ec) {
            s.error = "write: " + ec.message();
            continue;
          }
          s.sent += kChunk;
          asio::read(*s.socket, asio::buffer(echoed), ec);
          if (ec) {
            s.error = "read: " + ec.message();
            continue;
          }
          if (echoed != chunk) s.error = "echo differs";
          s.received += kChunk;
        }
        std::this_thread::sleep_for(5ms);
      }
    });
  }

  // New connections all along, from 400 other addresses.
  std::atomic<std::uint64_t> new_ok{0}, new_failed{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::thread opener([&] {
    asio::io_context ctx;
    for (std::size_t k = 0; !stop && k < 200000; ++k) {
      std::string why;
      try {
        auto socket = connect_from(ctx, client_address(1000 + k % 400), target);
        set_timeouts(socket, 5);
        const std::string name = read_line(socket);
        std::error_code ec;
        asio::write(socket, asio::buffer(std::string("ping\n")), ec);
        std::string back(5, '\0');
        if (!ec) asio::read(socket, asio::buffer(back), ec);
        if (name.empty())
          why = "no greeting";
        else if (ec)
          why = name + ": " + ec.message();
        else if (back != "ping\n")
          why = name + ": echo differs";
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (why.empty()) {
        ++new_ok;
      } else {
        ++new_failed;
        std::lock_guard lock(failures_mutex);
        failures.push_back(why);
      }
    }
  });

  int side_checked = 0;
  for (int k = 1; k <= 20; ++k) {
    std::this_thread::sleep_for(150ms);
    write_file(path, config_of(servers_for(k), k % 2 == 0));
    const auto outcome = reload(tether.daemon());
    ASSERT_TRUE(outcome.ok) << "reload " << k << ": " << outcome.errors.at(0);
    if (k % 2 == 0) {  // the listener added by this reload accepts at once
      std::vector<tcp::endpoint> side;
      run_on_control(tether.daemon(), [&] { side = tether.daemon().listening("side"); });
      ASSERT_EQ(side.size(), 1u);
      EXPECT_FALSE(server_seen_by(client_address(2000 + k), side[0]).empty());
      ++side_checked;
    }
  }
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& t : streamers)
    t.join();
  opener.join();

  // Every stream still open and intact: half-close, and the echo server's EOF comes back.
  int reset = 0, intact = 0;
  std::uint64_t sent = 0, received = 0;
  std::set<std::string> stream_servers;
  for (auto& s : streams) {
    sent += s.sent;
    received += s.received;
    stream_servers.insert(s.server);
    std::error_code ec;
    if (s.error.empty()) s.socket->shutdown(tcp::socket::shutdown_send, ec);
    if (s.error.empty() && !ec) {
      char c;
      const std::size_t n = s.socket->read_some(asio::buffer(&c, 1), ec);
      if (n == 0 && ec == asio::error::eof)
        ++intact;
      else
        s.error = "close: " + (ec ? ec.message() : std::string("unexpected byte"));
    }
    if (!s.error.empty()) {
      ++reset;
      ADD_FAILURE() << "stream to " << s.server << ": " << s.error;
    }
  }
  for (auto& s : streams)
    s.socket->close();
  // The replaced configurations are released once their last connection has ended.
  EXPECT_TRUE(wait_until(
      [&] {
        std::size_t retired = 1;
        run_on_control(tether.daemon(),
                       [&] { retired = tether.daemon().retired_configurations(); });
        return retired == 0;
      },
      5s));
  std::uint64_t ok = 0, generation = 0;
  run_on_control(tether.daemon(), [&] {
    ok = tether.daemon().reloads.ok.load();
    generation = tether.daemon().reloads.generation.load();
  });
  std::printf(
      "20 reloads under load: %d long-lived connections (on %zu servers), %d reset, %d closed "
      "cleanly; %llu bytes sent, %llu echoed back (%llu lost); %llu new connections, %llu "
      "failed; %d added listeners accepted\n",
      kStreams, stream_servers.size(), reset, intact, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(received), static_cast<unsigned long long>(sent - received),
      static_cast<unsigned long long>(new_ok.load()),
      static_cast<unsigned long long>(new_failed.load()), side_checked);
  EXPECT_EQ(reset, 0);
  EXPECT_EQ(intact, kStreams);
  EXPECT_EQ(received, sent);
  EXPECT_GT(sent, std::uint64_t{kStreams} * kChunk * 10);  // the streams really streamed
  EXPECT_EQ(new_failed.load(), 0u) << (failures.empty() ? "" : failures.front());
  EXPECT_GT(new_ok.load(), 100u);
  EXPECT_EQ(ok, 20u);
  EXPECT_EQ(generation, 21u);
  // The long-lived connections were spread over the servers, some of which were removed.
  EXPECT_GE(stream_servers.size(), 4u);
}

// Lines of a config_of() document are stable: the weight error below is on line 10.
TEST(Reload, AnInvalidFileKeepsTheOldConfigurationAndSaysWhere) {
  const auto servers = echo_pool(3);
  const std::string path = ::testing::TempDir() + "reload-invalid.yaml";
  const std::string good = with_admin(config_of(pick(servers, {1, 2, 3})));
  write_file(path, good);
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  spdlog::default_logger()->sinks().push_back(ring);
  AdminInstance tether(good, {}, path);
  const std::string client = client_address(7);
  const std::string before = server_seen_by(client, tether.frontend());
  ASSERT_FALSE(before.empty());

  std::string bad = good;
  const std::string fe02 = "name: fe02, address: \"" + servers[1]->address() + "\"";
  bad.replace(bad.find(fe02), fe02.size(), fe02 + ", weight: 0");
  ASSERT_EQ(bad.substr(0, bad.find("weight: 0")).find("fe02") != std::string::npos, true);
  write_file(path, bad);
  int line = 1;
  for (char c : bad.substr(0, bad.find("weight: 0")))
    line += c == '\n';

  const auto reply = tether.request("POST", "/api/v1/reload");
  EXPECT_EQ(reply.status, 422) << reply.body;
  const auto answer = json_of(reply);
  EXPECT_FALSE(answer["ok"].as_bool());
  const std::string error = answer["error"].as_string();
  EXPECT_EQ(error.rfind(path + ":" + std::to_string(line) + ":", 0), 0u) << error;
  EXPECT_NE(error.find("pools[0].servers[1].weight: \"0\" is not in 1..256"), std::string::npos)
      << error;
  bool logged = false;
  for (const auto& message : ring->last_formatted())
    logged = logged || (message.find("reload refused") != std::string::npos &&
                        message.find(path + ":" + std::to_string(line)) != std::string::npos);
  spdlog::default_logger()->sinks().pop_back();
  EXPECT_TRUE(logged) << "the refusal is logged with the file:line";

  std::uint64_t failed = 0, ok = 0, generation = 0;
  run_on_control(tether.daemon(), [&] {
    failed = tether.daemon().reloads.failed.load();
    ok = tether.daemon().reloads.ok.load();
    generation = tether.daemon().reloads.generation.load();
  });
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(ok, 0u);
  EXPECT_EQ(generation, 1u);
  // Still serving the old configuration: same server, all three servers in the status.
  EXPECT_EQ(server_seen_by(client, tether.frontend()), before);
  const auto status = tether.get_json("/api/v1/status");
  EXPECT_EQ(status["pools"][0]["servers"].as_array().size(), 3u);

  EXPECT_EQ(tether.request("GET", "/api/v1/reload").status, 405);
  EXPECT_EQ(tether.request("POST", "/api/v1/reload?dry_run=maybe").status, 400);

  // Fixed, the same request is taken.
  write_file(path, good);
  const auto fixed = tether.request("POST", "/api/v1/reload");
  EXPECT_EQ(fixed.status, 200) << fixed.body;
  EXPECT_TRUE(json_of(fixed)["ok"].as_bool());
  EXPECT_EQ(json_of(fixed)["generation"].as_uint64(), 2u);
}

TEST(Reload, ADryRunRemovingOneOfTenServersReportsAboutATenthAndChangesNothing) {
  const auto servers = echo_pool(10);
  const std::string path = ::testing::TempDir() + "reload-dry-run.yaml";
  const std::string ten = with_admin(config_of(pick(servers, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})));
  write_file(path, ten);
  AdminInstance tether(ten, {}, path);
  std::vector<std::string> before;
  for (int i = 0; i < 100; ++i)
    before.push_back(server_seen_by(client_address(i), tether.frontend()));
  ASSERT_NE(std::find(before.begin(), before.end(), "fe10"), before.end());

  write_file(path, with_admin(config_of(pick(servers, {1, 2, 3, 4, 5, 6, 7, 8, 9}))));
  const auto reply = tether.request("POST", "/api/v1/reload?dry_run=1");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto answer = json_of(reply);
  EXPECT_TRUE(answer["ok"].as_bool());
  EXPECT_TRUE(answer["dry_run"].as_bool());
  const double moved = answer["moved"]["web"].as_double();
  std::printf("dry run removing fe10 of 10 servers: moved %.2f%% of pool web's hash space\n",
              moved * 100.0);
  EXPECT_GE(moved, 0.09);
  EXPECT_LE(moved, 0.12);

  // Nothing changed: ten servers, generation 1, no reload counted, every client where it was —
  // and clients new to Tether that hash to fe10 still reach it.
  const auto status = tether.get_json("/api/v1/status");
  EXPECT_EQ(status["pools"][0]["servers"].as_array().size(), 10u);
  EXPECT_EQ(json_of(reply)["generation"].as_uint64(), 1u);
  std::uint64_t ok = 0, failed = 0;
  run_on_control(tether.daemon(), [&] {
    ok = tether.daemon().reloads.ok.load();
    failed = tether.daemon().reloads.failed.load();
  });
  EXPECT_EQ(ok + failed, 0u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(server_seen_by(client_address(i), tether.frontend()), before[i]) << i;
  int new_on_fe10 = 0;
  for (int i = 100; i < 400; ++i)
    new_on_fe10 += server_seen_by(client_address(i), tether.frontend()) == "fe10";
  EXPECT_GT(new_on_fe10, 10);
}

// A directory where the file was opens like a file and reads as nothing: the answer must say it
// cannot be read, not that the (empty) configuration lacks frontends.
TEST(Reload, AConfigPathThatIsNowADirectoryIsRefusedAsUnreadable) {
  const auto servers = echo_pool(1);
  const std::string path = ::testing::TempDir() + "reload-now-a-directory.yaml";
  const std::string good = with_admin(config_of(pick(servers, {1})));
  write_file(path, good);
  AdminInstance tether(good, {}, path);
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);

  const auto reply = tether.request("POST", "/api/v1/reload");
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(json_of(reply)["error"].as_string(), path + ": cannot read: Is a directory");
}

// tetherctl's flag is spelt --dry-run; a script that writes the query the same way must get an
// error, not a real reload.
TEST(Reload, AnUnknownQueryParameterIsRefusedAndAppliesNothing) {
  const auto servers = echo_pool(3);
  const std::string path = ::testing::TempDir() + "reload-unknown-parameter.yaml";
  const std::string three = with_admin(config_of(pick(servers, {1, 2, 3})));
  write_file(path, three);
  AdminInstance tether(three, {}, path);
  write_file(path, with_admin(config_of(pick(servers, {1, 2}))));

  const std::pair<std::string, std::string> refused[] = {{"dry-run=1", "dry-run"},
                                                         {"dryrun=1", "dryrun"},
                                                         {"DRY_RUN=1", "DRY_RUN"},
                                                         {"foo=1", "foo"},
                                                         {"dry_run=1&force=1", "force"}};
  for (const auto& [query, unknown] : refused) {
    const auto reply = tether.request("POST", "/api/v1/reload?" + query);
    EXPECT_EQ(reply.status, 400) << query << " -> " << reply.body;
    EXPECT_EQ(json_of(reply)["error"].as_string(),
              "unknown query parameter \"" + unknown + "\" (this endpoint takes dry_run)")
        << query;
  }
  EXPECT_EQ(tether.request("POST", "/api/v1/reload?dry_run=1&dry_run=0").status, 400);

  std::uint64_t ok = 0, failed = 0, generation = 0;
  run_on_control(tether.daemon(), [&] {
    ok = tether.daemon().reloads.ok.load();
    failed = tether.daemon().reloads.failed.load();
    generation = tether.daemon().reloads.generation.load();
  });
  EXPECT_EQ(ok + failed, 0u);
  EXPECT_EQ(generation, 1u);
  EXPECT_EQ(tether.get_json("/api/v1/status")["pools"][0]["servers"].as_array().size(), 3u);
  // The spelling the API takes still works.
  EXPECT_EQ(tether.request("POST", "/api/v1/reload?dry_run=1").status, 200);
}

TEST(Reload, ADryRunIsRefusedWhereTheReloadWouldBe) {
  const auto servers = echo_pool(1);
  const std::string path = ::testing::TempDir() + "reload-dry-run-bind.yaml";
  const std::string one = with_admin(config_of(pick(servers, {1})));
  write_file(path, one);
  AdminInstance tether(one, {}, path);
  // A second frontend on an address another socket holds: only binding it can tell.
  asio::io_context context;
  auto holder = std::make_unique<tcp::acceptor>(
      context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto held = holder->local_endpoint();
  const std::string address = "127.0.0.1:" + std::to_string(held.port());
  std::string two = one;
  two.insert(two.find("pools:"),
             "  - name: side\n    pool: web\n    listen: [\"" + address + "\"]\n");
  write_file(path, two);
  const auto dry = tether.request("POST", "/api/v1/reload?dry_run=1");
  EXPECT_EQ(dry.status, 422) << dry.body;
  EXPECT_NE(json_of(dry)["error"].as_string().find("cannot listen on " + address),
            std::string::npos)
      << dry.body;
  EXPECT_FALSE(json_of(dry)["ok"].as_bool());

  // Free, the dry run says yes and still opens nothing.
  holder.reset();
  const auto free = tether.request("POST", "/api/v1/reload?dry_run=1");
  EXPECT_EQ(free.status, 200) << free.body;
  std::error_code ec;
  tcp::socket probe(context);
  probe.connect(held, ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
  const auto status = tether.get_json("/api/v1/status");
  EXPECT_EQ(status["frontends"].as_array().size(), 1u);
}

TEST(Reload, ARotatedAdminTokenTakesEffectAtTheReload) {
  const auto servers = echo_pool(1);
  const std::string path = ::testing::TempDir() + "reload-token.yaml";
  const std::string token_file = ::testing::TempDir() + "reload-token.token";
  write_file(token_file, "old-token\n");
  const std::string yaml = with_admin(config_of(pick(servers, {1})), token_file);
  write_file(path, yaml);
  AdminInstance tether(yaml, {}, path);
  const std::string drain = R"({"state":"drain"})", ready = R"({"state":"ready"})";
  ASSERT_EQ(tether.set_state("fe01", drain, "old-token").status, 200);

  write_file(token_file, "new-token\n");
  const auto reply = tether.request("POST", "/api/v1/reload", "", "old-token");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(tether.set_state("fe01", ready, "old-token").status, 401);
  EXPECT_EQ(tether.set_state("fe01", ready, "new-token").status, 200);
}

TEST(Reload, CommandLineOverridesOutliveAReload) {
  const auto servers = echo_pool(1);
  const std::string path = ::testing::TempDir() + "reload-overrides.yaml";
  // Started as `--threads 1 --log-level warn` with a file that says threads 2, level info.
  std::string yaml = with_admin(config_of(pick(servers, {1})));
  yaml.replace(yaml.find("threads: 2"), 10, "threads: 1");
  AdminInstance tether(yaml, {}, path);
  run_on_control(tether.daemon(),
                 [&] { tether.daemon().keep_overrides({.threads = 1u, .log_level = "warn"}); });
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  spdlog::default_logger()->sinks().push_back(ring);
  std::string file = yaml;
  file.replace(file.find("threads: 1"), 10, "threads: 2");
  file.replace(file.find("log:\n"), 5, "log:\n  level: info\n");
  write_file(path, file);
  const auto reply = tether.request("POST", "/api/v1/reload");
  const auto now = spdlog::get_level();
  const auto messages = ring->last_formatted();
  spdlog::default_logger()->sinks().pop_back();
  spdlog::set_level(level);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(now, spdlog::level::warn) << "the file's log.level replaced --log-level";
  for (const auto& message : messages)
    EXPECT_EQ(message.find("threads changed"), std::string::npos) << message;
  run_on_control(tether.daemon(), [&] {
    EXPECT_EQ(tether.daemon().config().threads, 1u);
    EXPECT_EQ(tether.daemon().config().log.level, "warn");
  });
}

// http mode: a keep-alive connection accepted before a reload keeps its frontend, but its next
// request never goes to a server the reload removed.
TEST(Reload, AKeepAliveHttpConnectionOutlivesTheRemovalOfItsServer) {
  HttpBackend fe01("fe01"), fe02("fe02");
  const auto yaml = [&](std::initializer_list<const HttpBackend*> servers) {
    std::string y =
        "threads: 1\nshutdown_grace: 2s\nlog:\n  access: off\nfrontends:\n  - name: web\n"
        "    pool: web\n    mode: http\n    listen: [\"127.0.0.1:0\"]\npools:\n  - name: web\n"
        "    servers:\n";
    for (const auto* s : servers)
      y += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
    return y;
  };
  const std::string path = ::testing::TempDir() + "reload-http.yaml";
  write_file(path, yaml({&fe01, &fe02}));
  TetherInstance tether(yaml({&fe01, &fe02}), path);
  HttpClient client(tether.endpoint(), client_address(3));
  const auto first = client.get("/");
  ASSERT_EQ(first.status, 200u);
  const std::string served = first.header("X-Tether-Server");
  const HttpBackend& other = served == "fe01" ? fe02 : fe01;

  write_file(path, yaml({&other}));
  ASSERT_TRUE(reload(tether.daemon()).ok);
  const auto second = client.get("/");  // same connection
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(second.header("X-Tether-Server"), other.name());
  EXPECT_EQ(client.get("/").status, 200u);  // and the connection goes on
  EXPECT_EQ(http_server_seen_by(client_address(4), tether.endpoint()), other.name());
}

TEST(StateFile, PinnedClientsReturnToTheirServersAfterARestartWithAServerAdded) {
  const auto servers = echo_pool(5);
  const std::string state = ::testing::TempDir() + "restart.state";
  std::filesystem::remove(state);
  const auto port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const tcp::endpoint target(asio::ip::make_address("127.0.0.1"), port);
  const std::string root = "state_file: \"" + state + "\"\n";
  const std::string path = ::testing::TempDir() + "restart.yaml";
  constexpr int kClients = 300;

  std::vector<std::string> pinned;
  write_file(path, config_of(pick(servers, {1, 2, 3, 4}), false, root, listen));
  {
    TetherProcess first(path, target);
    for (int i = 0; i < kClients; ++i)
      pinned.push_back(server_seen_by(client_address(i), target));
    EXPECT_EQ(first.terminate_and_wait(), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(state)) << "written at stop";

  // fe05 joins while Tether is down.
  const auto five = pick(servers, {1, 2, 3, 4, 5});
  write_file(path, config_of(five, false, root, listen));
  int returned = 0;
  {
    TetherProcess second(path, target);
    for (int i = 0; i < kClients; ++i)
      returned += server_seen_by(client_address(i), target) == pinned[i];
    EXPECT_EQ(second.terminate_and_wait(), 0);
  }
  // The control: the same configuration without the state file.
  int would_move = 0;
  {
    TetherInstance fresh(config_of(five));
    for (int i = 0; i < kClients; ++i)
      would_move += server_seen_by(client_address(i), fresh.endpoint()) != pinned[i];
  }
  std::printf(
      "restart with state_file and fe05 added: %d of %d pinned clients back on their server; "
      "without the state file %d would have moved\n",
      returned, kClients, would_move);
  EXPECT_EQ(returned, kClients);
  EXPECT_GE(would_move, kClients / 10);  // Maglev alone gives fe05 about a fifth of them
}

TEST(StateFile, AForeignOrCorruptFileIsIgnoredAndTetherServes) {
  const auto servers = echo_pool(2);
  const std::string state = ::testing::TempDir() + "foreign.state";
  for (const char* content : {"threads: 2\n", "TETHSTAT\x01"}) {
    write_file(state, content);
    TetherInstance tether(
        config_of(pick(servers, {1, 2}), false, "state_file: \"" + state + "\"\n"));
    EXPECT_FALSE(server_seen_by(client_address(1), tether.endpoint()).empty());
  }
}

TEST(Reload, SighupReloadsTheRunningProcess) {
  const auto servers = echo_pool(2);
  const auto port = free_port(), side_port = free_port();
  const std::string path = ::testing::TempDir() + "sighup.yaml";
  const tcp::endpoint target(asio::ip::make_address("127.0.0.1"), port);
  write_file(path, config_of(pick(servers, {1}), false, "", "127.0.0.1:" + std::to_string(port)));
  TetherProcess tether(path, target);
  EXPECT_EQ(server_seen_by(client_address(1), target), "fe01");

  // fe01 is replaced by fe02, and a second frontend listens on another port.
  std::string next = config_of(pick(servers, {2}), false, "", "127.0.0.1:" + std::to_string(port));
  next.replace(next.find("pools:"), 0,
               "  - name: side\n    pool: web\n    listen: [\"127.0.0.1:" +
                   std::to_string(side_port) + "\"]\n");
  write_file(path, next);
  kill(tether.pid(), SIGHUP);
  const tcp::endpoint side(asio::ip::make_address("127.0.0.1"), side_port);
  EXPECT_TRUE(wait_until(
      [&] {
        try {
          return server_seen_by(client_address(2), side) == "fe02";
        } catch (const std::exception&) {
          return false;
        }
      },
      5s));
  EXPECT_EQ(server_seen_by(client_address(1), target), "fe02");
}

}  // namespace
}  // namespace tether::test
