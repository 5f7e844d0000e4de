// TLS termination on http frontends (issue 8, docs/tls.md "Frontends"), on loopback with the
// certificates of tests/tls/make_test_certs.sh:
// - requests are served over TLS; SNI picks the certificate; ALPN agrees on http/1.1;
// - TLS 1.1 (and 1.2 when min_version is 1.3) and CBC-only clients are refused; plain HTTP,
//   garbage, silent and half-finished handshakes end cleanly, are counted and logged;
// - MS-WSMAN cookie affinity works through the TLS frontend;
// - rotation: 100 TLS connections keep streaming byte-exact through a reload that swaps the
//   certificate, and new handshakes get the new one; a bad new certificate is refused;
// - a certificate that expires within 30 days is warned about and exported.
// GCC 12 misreads Asio's coroutine frame allocator as a new/delete mismatch (GCC bug 105729).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "admin/metrics.h"
#include "admin/status_json.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_backend.h"
#include "tests/integration/tls_client.h"
#include "tests/tls/test_certs.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

std::string cert_entry(const std::string& name) {
  const auto& certs = test_certs();
  return "{ cert: \"" + certs.cert(name) + "\", key: \"" + certs.key(name) + "\" }";
}

struct Yaml {
  std::string tls = cert_entry("ext");
  std::string affinity = "{ type: none }";
  std::string access = "off";
  std::string idle = "2s";
  std::string frontend_extra;
};

std::string tls_yaml(const std::vector<std::unique_ptr<HttpBackend>>& servers, const Yaml& y) {
  std::string out = "threads: 2\nshutdown_grace: 1s\nlog: { access: \"" + y.access +
                    "\" }\nfrontends:\n"
                    "  - name: web\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
                    "    idle_timeout: " +
                    y.idle + "\n    affinity: " + y.affinity + "\n    tls: " + y.tls + "\n" +
                    y.frontend_extra +
                    "pools:\n  - name: web\n    server_timeout: 2s\n    connect_timeout: 500ms\n"
                    "    servers:\n";
  for (const auto& s : servers)
    out += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
  return out;
}

std::uint64_t handshakes(lb::Daemon& daemon, lb::TlsHandshakeResult result) {
  return daemon.frontends()[0]->counters->tls_handshakes[static_cast<std::size_t>(result)].load();
}

TlsClientOptions verified(const std::string& server_name = "") {
  TlsClientOptions o;
  o.ca_file = test_certs().ca();
  o.server_name = server_name;
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

TEST(TlsFrontend, ServesRequestsOverTlsAndAgreesOnHttp11) {
  auto servers = backends(2);
  TetherInstance tether(tls_yaml(servers, {}));
  auto options = verified("ext.contoso.test");
  options.alpn = {"h2", "http/1.1"};
  TlsClient client(tether.endpoint(), options);
  ASSERT_FALSE(client.handshake());
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_EQ(client.version(), "TLSv1.3");
  for (int i = 0; i < 3; ++i) {  // keep-alive: one handshake, several requests
    const auto r = client.get("/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_FALSE(r.header("X-Tether-Server").empty());
    EXPECT_NE(r.body.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << r.body;
  }
  EXPECT_EQ(handshakes(tether.daemon(), lb::TlsHandshakeResult::ok), 1u);

  // Connection: close ends with our close_notify (a clean TLS end), not a bare TCP close.
  const auto last = client.get("/", "Connection: close\r\n");
  ASSERT_EQ(last.status, 200u);
  EXPECT_EQ(client.read_to_end(), asio::error::eof);

  // Only h2 offered: no ALPN answer, and HTTP/1.1 still works (docs/tls.md).
  options.alpn = {"h2"};
  TlsClient h2_only(tether.endpoint(), options);
  ASSERT_FALSE(h2_only.handshake());
  EXPECT_EQ(h2_only.alpn(), "");
  EXPECT_EQ(h2_only.get("/").status, 200u);
}

// A full handshake and a request; the session it made, for a later connection to offer (free it
// with SSL_SESSION_free), or null when any of that failed.
SSL_SESSION* new_session(const asio::ip::tcp::endpoint& target, const TlsClientOptions& options) {
  TlsClient client(target, options);
  // TLS 1.3 tickets come after the handshake, with the first response.
  if (client.handshake() || client.resumed() || client.get("/").status != 200) return nullptr;
  SSL_SESSION* session = client.session();
  if (client.close_notify()) {  // a session of a connection cut short is not reused
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

// A connection offering `session`: the session it leaves when it resumed and was served, for the
// next connection to offer (free it with SSL_SESSION_free); null otherwise.
SSL_SESSION* resumed_session(const asio::ip::tcp::endpoint& target, TlsClientOptions options,
                             SSL_SESSION* session) {
  options.resume = session;
  TlsClient client(target, options);
  if (client.handshake() || !client.resumed() || client.get("/").status != 200) return nullptr;
  SSL_SESSION* left = client.session();
  if (client.close_notify()) {
    SSL_SESSION_free(left);
    return nullptr;
  }
  return left;
}

std::string ticket_of(const SSL_SESSION* session) {
  const unsigned char* ticket = nullptr;
  std::size_t length = 0;
  SSL_SESSION_get0_ticket(session, &ticket, &length);
  return {reinterpret_cast<const char*>(ticket), length};
}

// Whether a connection offering `session` resumes it and is served.
bool resumes(const asio::ip::tcp::endpoint& target, const TlsClientOptions& options,
             SSL_SESSION* session) {
  SSL_SESSION* left = resumed_session(target, options, session);
  SSL_SESSION_free(left);
  return left != nullptr;
}

// How a client can resume: TLS 1.2 with a ticket or by session id alone (as Windows' SChannel
// before 8.1), TLS 1.3 (tickets).
struct Resumption {
  const char* name;
  int version;
  bool tickets;
};
constexpr Resumption kResumptions[] = {
    {"TLS 1.2 ticket", TLS1_2_VERSION, true},
    {"TLS 1.2 session id", TLS1_2_VERSION, false},
    {"TLS 1.3", TLS1_3_VERSION, true},
};

TlsClientOptions options_for(const Resumption& r) {
  auto options = verified();
  options.min_version = options.max_version = r.version;
  options.tickets = r.tickets;
  return options;
}

TEST(TlsFrontend, SessionsAreResumedByTicketAndBySessionId) {
  auto servers = backends(1);
  TetherInstance tether(tls_yaml(servers, {}));
  for (const auto& r : kResumptions) {
    const auto options = options_for(r);
    SSL_SESSION* session = new_session(tether.endpoint(), options);
    ASSERT_NE(session, nullptr) << r.name;
    // Again and again, each time with the session the last connection left, as a client that
    // keeps only its latest session does. A TLS 1.3 resumption must leave a fresh ticket: a
    // client with a session cache (wrk, most OpenSSL clients) uses a TLS 1.3 ticket only once.
    for (int i = 1; i <= 3 && session != nullptr; ++i) {
      SSL_SESSION* next = resumed_session(tether.endpoint(), options, session);
      EXPECT_NE(next, nullptr) << r.name << ", resumption " << i;
      if (next != nullptr && r.version == TLS1_3_VERSION) {
        EXPECT_NE(ticket_of(next), ticket_of(session))
            << "resumption " << i << " left no new ticket";
      }
      SSL_SESSION_free(session);
      session = next;
    }
    SSL_SESSION_free(session);
  }
}

// The ticket keys and the session cache are the process's, the session id context is the
// frontend's: a session made on one VIP does not resume on another, whose certificate the client
// never checked. It gets a full handshake there and is served, and still resumes where it was made.
TEST(TlsFrontend, ASessionOfOneFrontendDoesNotResumeOnAnother) {
  auto servers = backends(1);
  Yaml y;
  y.frontend_extra =
      "  - name: other\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n    tls: " +
      cert_entry("ext") + "\n";
  TetherInstance tether(tls_yaml(servers, y));
  for (const auto& r : kResumptions) {
    auto options = options_for(r);
    SSL_SESSION* session = new_session(tether.endpoint(), options);
    ASSERT_NE(session, nullptr) << r.name;
    options.resume = session;
    TlsClient elsewhere(tether.endpoint("other"), options);
    ASSERT_FALSE(elsewhere.handshake()) << r.name;
    EXPECT_FALSE(elsewhere.resumed()) << r.name;
    EXPECT_EQ(elsewhere.get("/").status, 200u) << r.name;
    EXPECT_TRUE(resumes(tether.endpoint(), options, session)) << r.name;
    SSL_SESSION_free(session);
  }
}

TEST(TlsFrontend, SniChoosesTheCertificateAndTheFirstIsTheDefault) {
  auto servers = backends(1);
  Yaml y;
  y.tls = "{ certificates: [" + cert_entry("ext") + ", " + cert_entry("int") + "] }";
  TetherInstance tether(tls_yaml(servers, y));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"int.contoso.test", "int.contoso.test"},
      {"INT.Contoso.Test", "int.contoso.test"},
      {"a.int.contoso.test", "int.contoso.test"},    // *.int.contoso.test
      {"a.b.int.contoso.test", "ext.contoso.test"},  // a wildcard covers one label only
      {"ext.contoso.test", "ext.contoso.test"},
      {"unknown.example", "ext.contoso.test"},
      {"", "ext.contoso.test"},  // no SNI at all
  };
  for (const auto& [name, expected] : cases) {
    TlsClient client(tether.endpoint(), verified(name));
    ASSERT_FALSE(client.handshake()) << name;
    EXPECT_EQ(client.peer_subject(NID_commonName), expected) << "SNI \"" << name << "\"";
    EXPECT_EQ(client.get("/").status, 200u);
  }
}

TEST(TlsFrontend, OldVersionsAndWeakCiphersAreRefusedAndCounted) {
  auto servers = backends(1);
  {
    TetherInstance tether(tls_yaml(servers, {}));
    TlsClientOptions tls11 = verified();
    tls11.min_version = tls11.max_version = TLS1_1_VERSION;
    tls11.ciphers = "DEFAULT:@SECLEVEL=0";
    TlsClient old(tether.endpoint(), tls11);
    EXPECT_TRUE(old.handshake());

    TlsClientOptions cbc = verified();  // TLS 1.2, but only a CBC suite Mozilla dropped
    cbc.min_version = cbc.max_version = TLS1_2_VERSION;
    cbc.ciphers = "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
    TlsClient weak(tether.endpoint(), cbc);
    EXPECT_TRUE(weak.handshake());
    ASSERT_TRUE(wait_until(
        [&] { return handshakes(tether.daemon(), lb::TlsHandshakeResult::failed) == 2; }, 3s));

    TlsClientOptions tls12 = verified();
    tls12.max_version = TLS1_2_VERSION;
    TlsClient good(tether.endpoint(), tls12);
    ASSERT_FALSE(good.handshake());
    EXPECT_EQ(good.version(), "TLSv1.2");
    EXPECT_EQ(good.get("/").status, 200u);
    EXPECT_EQ(handshakes(tether.daemon(), lb::TlsHandshakeResult::ok), 1u);
  }
  {
    Yaml y;
    y.tls = "{ cert: \"" + test_certs().cert("ext") + "\", key: \"" + test_certs().key("ext") +
            "\", min_version: \"1.3\" }";
    TetherInstance tether(tls_yaml(servers, y));
    TlsClientOptions tls12 = verified();
    tls12.max_version = TLS1_2_VERSION;
    TlsClient refused(tether.endpoint(), tls12);
    EXPECT_TRUE(refused.handshake());
    ASSERT_TRUE(wait_until(
        [&] { return handshakes(tether.daemon(), lb::TlsHandshakeResult::failed) == 1; }, 3s));
    TlsClient tls13(tether.endpoint(), verified());
    ASSERT_FALSE(tls13.handshake());
    EXPECT_EQ(tls13.version(), "TLSv1.3");
    EXPECT_EQ(tls13.get("/").status, 200u);
  }
}

TEST(TlsFrontend, NonTlsAndUnfinishedClientsEndCleanlyCountedAndLogged) {
  auto servers = backends(1);
  Yaml y;
  y.access = write_temp_file("tls_access.log", "");
  TetherInstance tether(tls_yaml(servers, y));  // idle_timeout 2s: the handshake's limit
  asio::io_context io;
  std::string answer;
  const auto ends_within = [&](const std::string& send, std::chrono::milliseconds limit) {
    auto socket = connect_from(io, "127.0.0.1", tether.endpoint());
    if (!send.empty()) asio::write(socket, asio::buffer(send));
    const auto start = std::chrono::steady_clock::now();
    answer = read_all(socket, 6s);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, limit) << "closed by us, in time";
    return std::chrono::duration_cast<std::chrono::milliseconds>(took);
  };
  // A TLS record header and the start of a ClientHello, then nothing more.
  const std::string partial_hello("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03", 11);

  // Plain HTTP to the TLS port gets a plain-text 400 that says why; the rest no answer.
  ends_within("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("plain HTTP request sent to a TLS port"), std::string::npos) << answer;
  std::string garbage(300, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<char>((i * 131 + 7) % 251);
  ends_within(garbage, 1s);
  EXPECT_EQ(answer, "");
  const auto silent = ends_within("", 4s);  // says nothing: closed at the handshake limit
  EXPECT_GE(silent, 1900ms);
  EXPECT_EQ(answer, "");
  const auto stalled = ends_within(partial_hello, 4s);  // stops mid-handshake
  EXPECT_GE(stalled, 1900ms);
  EXPECT_EQ(answer, "");
  {
    auto socket = connect_from(io, "127.0.0.1", tether.endpoint());  // leaves mid-handshake
    asio::write(socket, asio::buffer(partial_hello));
  }
  connect_from(io, "127.0.0.1", tether.endpoint()).close();  // a TCP probe: counted, not logged

  auto& daemon = tether.daemon();
  ASSERT_TRUE(
      wait_until([&] { return handshakes(daemon, lb::TlsHandshakeResult::closed) == 2; }, 3s));
  EXPECT_EQ(handshakes(daemon, lb::TlsHandshakeResult::failed), 2u);
  EXPECT_EQ(handshakes(daemon, lb::TlsHandshakeResult::timeout), 2u);
  EXPECT_EQ(handshakes(daemon, lb::TlsHandshakeResult::ok), 0u);
  EXPECT_TRUE(wait_until([&] { return daemon.active_connections() == 0; }, 3s)) << "no leak";

  // Still serving; each bad client was logged once, with its end reason.
  TlsClient client(tether.endpoint(), verified());
  ASSERT_FALSE(client.handshake());
  EXPECT_EQ(client.get("/").status, 200u);
  ASSERT_TRUE(
      wait_until([&] { return read_file(y.access).find("status=200") != std::string::npos; }, 3s));
  const std::string log = read_file(y.access);
  EXPECT_EQ(occurrences(log, "end=tls_handshake_failed"), 1) << log;  // the garbage
  EXPECT_EQ(occurrences(log, "status=400"), 1) << log;                // the plain request
  EXPECT_EQ(occurrences(log, "end=tls_handshake_timeout"), 2) << log;
  EXPECT_EQ(occurrences(log, "end=tls_handshake_closed"), 1) << log;

  const std::string metrics = admin::metrics_text(daemon);
  EXPECT_NE(
      metrics.find("tether_frontend_tls_handshakes_total{frontend=\"web\",result=\"failed\"} 2"),
      std::string::npos)
      << metrics;
}

TEST(TlsFrontend, ProxyHeaderComesInTheClearBeforeTls) {
  auto servers = backends(1);
  Yaml y;
  y.frontend_extra = "    accept_proxy: true\n";
  TetherInstance tether(tls_yaml(servers, y));
  TlsClient client(tether.endpoint(), verified());
  // Corked: the header and the ClientHello leave in one segment, so Tether's first read sees
  // both and must leave the TLS bytes to the handshake.
  const int cork = 1;
  ASSERT_EQ(setsockopt(client.socket().native_handle(), IPPROTO_TCP, TCP_CORK, &cork, sizeof cork),
            0);
  asio::write(client.socket(),
              asio::buffer(std::string("PROXY TCP4 203.0.113.7 192.0.2.1 40000 443\r\n")));
  ASSERT_FALSE(client.handshake());
  const auto r = client.get("/");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("X-Forwarded-For: 203.0.113.7\r\n"), std::string::npos) << r.body;
}

// MS-WSMAN through TLS: the cookie is set on the first response and honoured after it, on other
// connections. Round-robin placement shows the cookie, not chance, keeps the client.
TEST(TlsFrontend, CookieAffinityWorksThroughTls) {
  auto servers = backends(3);
  Yaml y;
  y.affinity = "{ type: cookie, cookie: { name: MS-WSMAN }, fallback: round_robin }";
  TetherInstance tether(tls_yaml(servers, y));
  TlsClient first(tether.endpoint(), verified());
  ASSERT_FALSE(first.handshake());
  const auto r = first.get("/");
  ASSERT_EQ(r.status, 200u);
  const std::string set = r.header("Set-Cookie");
  ASSERT_EQ(set.rfind("MS-WSMAN=", 0), 0u) << r.head;
  const std::string token = set.substr(9, set.find(';') - 9);
  const std::string pinned = r.header("X-Tether-Server");

  std::set<std::string> without_cookie;
  for (int i = 0; i < 9; ++i) {
    TlsClient with(tether.endpoint(), verified());
    ASSERT_FALSE(with.handshake());
    const auto again = with.get("/", "Cookie: MS-WSMAN=" + token + "\r\n");
    EXPECT_EQ(again.header("X-Tether-Server"), pinned);
    EXPECT_EQ(again.count("Set-Cookie"), 0);
    EXPECT_EQ(again.body.find("MS-WSMAN"), std::string::npos) << "our cookie stays with us";
    TlsClient fresh(tether.endpoint(), verified());
    ASSERT_FALSE(fresh.handshake());
    without_cookie.insert(fresh.get("/").header("X-Tether-Server"));
  }
  EXPECT_EQ(without_cookie.size(), 3u);
}

// ---- rolling certificates ---------------------------------------------------------------------

// The frontend's certificate is live.pem/live.key in a folder of the test's, as an operator's
// would be: rotation overwrites the files and reloads.
struct LiveCertificate {
  std::string dir = ::testing::TempDir() + "tether-live-" + std::to_string(::getpid());
  LiveCertificate() {
    std::filesystem::create_directories(dir);
    install("ext");
  }
  void install(const std::string& name) const {
    const auto& certs = test_certs();
    for (const auto& [from, to] : {std::pair{certs.cert(name), cert()}, {certs.key(name), key()}})
      std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  }
  std::string cert() const { return dir + "/live.pem"; }
  std::string key() const { return dir + "/live.key"; }
  std::string tls() const { return "{ cert: \"" + cert() + "\", key: \"" + key() + "\" }"; }
};

// Tether serving the live certificate, its configuration in a file of its own that a reload reads
// again.
struct LiveTether {
  LiveTether(const std::string& file, int servers, const std::string& idle = Yaml{}.idle)
      : servers(backends(servers)),
        path(write_temp_file(file, yaml(idle))),
        tether(read_file(path), path) {}
  std::string yaml(const std::string& idle) const {
    Yaml y;
    y.tls = live.tls();
    y.idle = idle;
    return tls_yaml(servers, y);
  }
  std::vector<std::unique_ptr<HttpBackend>> servers;
  LiveCertificate live;
  std::string path;
  TetherInstance tether;
};

lb::Daemon::ReloadOutcome reload(lb::Daemon& daemon) {
  lb::Daemon::ReloadOutcome outcome;
  run_on_control(daemon, [&] { outcome = daemon.reload(); });
  return outcome;
}

std::string new_handshake_organization(const asio::ip::tcp::endpoint& target) {
  TlsClient client(target, verified("ext.contoso.test"));
  if (client.handshake()) return "(handshake failed)";
  return client.peer_subject(NID_organizationName);
}

// 100 TLS connections, each an upgraded echo tunnel through Tether, write a chunk and read it
// back, over and over, until told to stop.
class TlsStreams {
 public:
  static constexpr std::size_t kConnections = 100;
  static constexpr std::size_t kChunk = 8 * 1024;

  explicit TlsStreams(asio::ip::tcp::endpoint target) : target_(target) {
    tls_.load_verify_file(test_certs().ca());
    tls_.set_verify_mode(asio::ssl::verify_peer);
    for (std::size_t i = 0; i < kConnections; ++i)
      asio::co_spawn(io_, stream(i), asio::detached);
    thread_ = std::thread([this] { io_.run_for(60s); });  // bounded, whatever happens
  }
  ~TlsStreams() {
    stop();
    if (thread_.joinable()) thread_.join();
  }
  void stop() { stopping_ = true; }
  void join() { thread_.join(); }

  std::atomic<std::size_t> ready{0}, finished{0}, failed{0};
  std::atomic<std::uint64_t> bytes{0}, mismatches{0};
  std::string first_error;  // written once, before `failed` is counted

 private:
  asio::awaitable<void> stream(std::size_t id) {
    constexpr auto tuple = asio::experimental::as_tuple(asio::use_awaitable);
    asio::ssl::stream<asio::ip::tcp::socket> s(io_, tls_);
    const auto fail = [&](const std::string& what, std::error_code ec) {
      if (failed.fetch_add(1) == 0) first_error = what + ": " + ec.message();
    };
    auto [ec] = co_await s.next_layer().async_connect(target_, tuple);
    if (!ec) std::tie(ec) = co_await s.async_handshake(asio::ssl::stream_base::client, tuple);
    if (ec) {
      fail("handshake", ec);
      co_return;
    }
    const std::string upgrade =
        "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";
    std::tie(ec, std::ignore) = co_await asio::async_write(s, asio::buffer(upgrade), tuple);
    std::string head;
    if (!ec)
      std::tie(ec, std::ignore) =
          co_await asio::async_read_until(s, asio::dynamic_buffer(head), "\r\n\r\n", tuple);
    if (ec || head.rfind("HTTP/1.1 101", 0) != 0 || head.size() != head.find("\r\n\r\n") + 4) {
      fail("upgrade", ec);
      co_return;
    }
    ready.fetch_add(1);
    std::string out(kChunk, '\0'), in(kChunk, '\0');
    for (std::uint64_t round = 0; !stopping_; ++round) {
      for (std::size_t i = 0; i < kChunk; ++i)
        out[i] = static_cast<char>((id * 7919 + round * 104729 + i * 31) & 0xff);
      std::tie(ec, std::ignore) = co_await asio::async_write(s, asio::buffer(out), tuple);
      if (!ec) std::tie(ec, std::ignore) = co_await asio::async_read(s, asio::buffer(in), tuple);
      if (ec) {
        fail("stream", ec);
        co_return;
      }
      if (in != out) mismatches.fetch_add(1);
      bytes.fetch_add(kChunk);
    }
    finished.fetch_add(1);
    std::error_code ignored;
    s.next_layer().close(ignored);
  }

  asio::ip::tcp::endpoint target_;
  asio::io_context io_;
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The must-show: rotation under load.
TEST(TlsRotation, EstablishedConnectionsKeepStreamingAndNewHandshakesGetTheNewCertificate) {
  LiveTether t("tls_rotation.yaml", 2, "30s");
  auto& tether = t.tether;
  ASSERT_EQ(new_handshake_organization(tether.endpoint()), "Tether Test");

  TlsStreams streams(tether.endpoint());
  ASSERT_TRUE(
      wait_until([&] { return streams.ready + streams.failed == streams.kConnections; }, 20s));
  ASSERT_EQ(streams.ready.load(), streams.kConnections) << streams.first_error;
  std::this_thread::sleep_for(1s);
  const std::uint64_t before = streams.bytes.load();

  t.live.install("rotated");
  const auto outcome = reload(tether.daemon());
  ASSERT_TRUE(outcome.ok) << (outcome.errors.empty() ? "" : outcome.errors.front());
  const auto reloaded = std::chrono::steady_clock::now();
  std::set<std::string> after_reload;
  for (int i = 0; i < 10; ++i)
    after_reload.insert(new_handshake_organization(tether.endpoint()));
  const auto new_handshakes_took = std::chrono::steady_clock::now() - reloaded;
  std::this_thread::sleep_for(1s);
  const std::uint64_t at_stop = streams.bytes.load();
  EXPECT_EQ(tether.daemon().retired_configurations(), 1u)
      << "the old configuration lives on for its connections";
  streams.stop();
  streams.join();

  EXPECT_EQ(after_reload, std::set<std::string>{"Rotated"}) << "every new handshake";
  EXPECT_EQ(streams.failed.load(), 0u) << streams.first_error;
  EXPECT_EQ(streams.finished.load(), streams.kConnections) << "none lost or reset";
  EXPECT_EQ(streams.mismatches.load(), 0u) << "byte-exact";
  EXPECT_GT(at_stop - before, 100u * streams.kChunk) << "they kept streaming after the reload";
  std::printf(
      "rotation under load: %zu TLS connections, %.1f MiB echoed byte-exact (%.1f MiB after the "
      "reload began), %zu finished, %zu failed, %llu mismatches; 10 new handshakes in %lld ms "
      "after the reload, organizations seen: %s\n",
      streams.kConnections, static_cast<double>(at_stop) / (1 << 20),
      static_cast<double>(at_stop - before) / (1 << 20), streams.finished.load(),
      streams.failed.load(), static_cast<unsigned long long>(streams.mismatches.load()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(new_handshakes_took).count()),
      after_reload.begin()->c_str());
}

TEST(TlsRotation, ABadNewCertificateIsRefusedAndTheOldOneKeepsServing) {
  LiveTether t("tls_bad_rotation.yaml", 1);
  auto& tether = t.tether;

  // The rotated certificate with the old key: not a pair.
  std::filesystem::copy_file(test_certs().cert("rotated"), t.live.cert(),
                             std::filesystem::copy_options::overwrite_existing);
  const auto outcome = reload(tether.daemon());
  ASSERT_FALSE(outcome.ok);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_NE(outcome.errors[0].find(t.path + ":"), std::string::npos) << outcome.errors[0];
  EXPECT_NE(outcome.errors[0].find("is not the key of the certificate"), std::string::npos)
      << outcome.errors[0];

  // A file that is no certificate at all.
  std::ofstream(t.live.cert(), std::ios::trunc) << "not a certificate\n";
  EXPECT_FALSE(reload(tether.daemon()).ok);

  EXPECT_EQ(new_handshake_organization(tether.endpoint()), "Tether Test");
  TlsClient client(tether.endpoint(), verified());
  ASSERT_FALSE(client.handshake());
  EXPECT_EQ(client.get("/").status, 200u);
}

// A reload makes new TLS contexts, but the ticket keys and the session cache are the process's
// (lb/tls_ticket_keys.h, lb/tls_session_cache.h): a returning client resumes its session after
// the reload, one that rotated the certificate too, instead of paying a full handshake.
TEST(TlsRotation, SessionsAreResumedAcrossAReload) {
  LiveTether t("tls_resume_reload.yaml", 1);
  auto& tether = t.tether;
  bool rotated = false;
  for (const auto& r : kResumptions) {
    const auto options = options_for(r);
    SSL_SESSION* session = new_session(tether.endpoint(), options);
    ASSERT_NE(session, nullptr) << r.name;
    rotated = !rotated;
    t.live.install(rotated ? "rotated" : "ext");
    const auto outcome = reload(tether.daemon());
    ASSERT_TRUE(outcome.ok) << (outcome.errors.empty() ? "" : outcome.errors.front());
    EXPECT_TRUE(resumes(tether.endpoint(), options, session)) << r.name;
    SSL_SESSION_free(session);
  }
}

// ---- expiry -----------------------------------------------------------------------------------

TEST(TlsExpiry, AnExpiringCertificateIsWarnedAboutAndExported) {
  auto servers = backends(1);
  Yaml y;
  y.tls = "{ certificates: [" + cert_entry("ext") + ", " + cert_entry("expiring") + "] }";
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  std::string metrics, status;
  {
    TetherInstance tether(tls_yaml(servers, y));
    metrics = admin::metrics_text(tether.daemon());
    status = admin::status_json(tether.daemon());
  }
  spdlog::set_default_logger(previous);

  std::vector<std::string> warnings;
  for (const auto& line : sink->last_formatted())
    if (line.find("expires") != std::string::npos) warnings.push_back(line);
  ASSERT_EQ(warnings.size(), 1u) << "the expiring certificate only";
  EXPECT_NE(warnings[0].find("warning"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("frontend web: certificate " + test_certs().cert("expiring") +
                             " (ext.contoso.test, localhost) expires "),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find(", in 9 days"), std::string::npos) << warnings[0];

  const std::string expiring =
      "{frontend=\"web\",certificate=\"" + test_certs().cert("expiring") + "\"}";
  const std::string ext = "{frontend=\"web\",certificate=\"" + test_certs().cert("ext") + "\"}";
  EXPECT_NE(metrics.find("tether_tls_certificate_expiring" + expiring + " 1\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tether_tls_certificate_expiring" + ext + " 0\n"), std::string::npos);
  // notAfter as a Unix time: about 10 days from now.
  const auto at = metrics.find("tether_tls_certificate_expiry_timestamp_seconds" + expiring + " ");
  ASSERT_NE(at, std::string::npos) << metrics;
  const double not_after = std::stod(
      metrics.substr(at + std::string("tether_tls_certificate_expiry_timestamp_seconds").size() +
                     expiring.size() + 1));
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_NEAR(not_after - now, 10 * 86400.0, 3600.0);
  EXPECT_NE(status.find("\"tls\":{\"min_version\":\"1.2\",\"certificates\":[{\"file\":\"" +
                        test_certs().cert("ext") +
                        "\",\"names\":[\"ext.contoso.test\",\"localhost\"],"
                        "\"not_after\":\""),
            std::string::npos)
      << status;
}

}  // namespace
}  // namespace tether::test
