#include "config/loader.h"
#include "config/tls_files.h"
#include "tests/tls/test_certs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace tether::config {
namespace {

using namespace std::chrono_literals;

std::string data_file(const std::string& name) {
  return std::string(TETHER_TEST_DATA) + "/" + name;
}

Config load_good(const std::string& name) {
  LoadResult result = load_file(data_file(name));
  for (const std::string& error : result.errors)
    ADD_FAILURE() << error;
  if (!result.ok()) throw std::runtime_error(name + " did not load");
  return std::move(*result.config);
}

// The errors of a config given inline, as the file "inline.yaml".
std::vector<std::string> errors_of(const std::string& yaml) {
  return load_string(yaml, "inline.yaml").errors;
}

// A valid frontend and pool, to which a scenario appends its own keys.
const std::string kFrontend = R"(frontends:
  - name: web
    listen: "127.0.0.1:0"
    pool: web
)";
const std::string kPool = R"(pools:
  - name: web
    servers:
      - { name: fe01, address: "127.0.0.1:8080" }
)";

TEST(GoodConfig, MinimalOneTakesEveryDefault) {
  const Config config = load_good("good_minimal.yaml");
  EXPECT_EQ(config.file, data_file("good_minimal.yaml"));
  EXPECT_EQ(config.threads, 0u);
  EXPECT_EQ(config.shutdown_grace, 30s);
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.access, "stdout");

  ASSERT_EQ(config.frontends.size(), 1u);
  const FrontendConfig& web = config.frontends[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.mark.line, 3);
  ASSERT_EQ(web.listen.size(), 1u);
  EXPECT_EQ(web.listen[0].text, "127.0.0.1:0");
  EXPECT_EQ(web.listen[0].endpoint.port(), 0);
  EXPECT_EQ(web.mode, Mode::tcp);
  EXPECT_EQ(web.pool, "web");
  EXPECT_EQ(web.idle_timeout, 1800s);
  EXPECT_EQ(web.affinity.type, AffinityType::source);
  EXPECT_EQ(web.affinity.ipv4_mask, 32u);
  EXPECT_EQ(web.affinity.ipv6_mask, 64u);
  EXPECT_EQ(web.affinity.timeout, 20min);
  EXPECT_EQ(web.affinity.table_size, 1'000'000u);
  EXPECT_FALSE(web.accept_proxy);
  EXPECT_EQ(web.affinity.client_address, ClientAddress::connection);
  EXPECT_TRUE(web.affinity.trusted_proxies.empty());
  EXPECT_EQ(web.affinity.cookie.name, "MS-WSMAN");  // Microsoft's MUSTs are the defaults
  EXPECT_FALSE(web.affinity.cookie.httponly);
  EXPECT_FALSE(web.affinity.cookie.secure);
  EXPECT_EQ(web.affinity.cookie.secret_file, "");
  EXPECT_EQ(web.affinity.cookie.secret, "");
  EXPECT_EQ(web.affinity.fallback, Fallback::source);

  ASSERT_EQ(config.pools.size(), 1u);
  const PoolConfig& pool = config.pools[0];
  EXPECT_EQ(pool.mark.line, 8);
  EXPECT_EQ(pool.balance, Balance::maglev);
  EXPECT_EQ(pool.hash_seed, 0u);
  EXPECT_EQ(pool.connect_timeout, 3s);
  EXPECT_EQ(pool.server_timeout, 60s);
  EXPECT_EQ(pool.retries, 2u);
  EXPECT_EQ(pool.max_connections, 0u);
  ASSERT_EQ(pool.servers.size(), 1u);
  EXPECT_EQ(pool.servers[0].name, "fe01");
  EXPECT_EQ(pool.servers[0].mark.line, 10);
  EXPECT_EQ(pool.servers[0].address.endpoint,
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 8080));
  EXPECT_EQ(pool.servers[0].weight, 1u);
  EXPECT_EQ(pool.servers[0].send_proxy, SendProxy::off);
  EXPECT_EQ(config.find_pool("web"), &pool);
  EXPECT_EQ(config.find_pool("nope"), nullptr);

  // Without `health:` nothing is checked and nothing observed: servers are always up.
  EXPECT_FALSE(pool.health_configured);
  EXPECT_EQ(pool.health.type, HealthConfig::Type::none);
  EXPECT_FALSE(pool.health.observe);
  EXPECT_FALSE(config.admin.has_value());  // no admin port unless asked for
}

TEST(GoodConfig, FullOneReadsEverySupportedKey) {
  const Config config = load_good("good_full.yaml");
  EXPECT_EQ(config.threads, 4u);
  EXPECT_EQ(config.shutdown_grace, 45s);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.access, data_file("access.log"));  // next to the file, like token_file

  ASSERT_TRUE(config.admin.has_value());
  EXPECT_EQ(config.admin->listen.text, "[::]:9900");
  EXPECT_EQ(config.admin->listen.endpoint,
            asio::ip::tcp::endpoint(asio::ip::make_address("::"), 9900));
  EXPECT_EQ(config.admin->token_file, "admin.token");  // as written, found next to the file
  EXPECT_EQ(config.admin->token, "tether-test-token-not-a-secret");  // newline trimmed

  ASSERT_EQ(config.frontends.size(), 4u);
  const FrontendConfig& internal = config.frontends[0];
  EXPECT_EQ(internal.name, "web-int-443");
  ASSERT_EQ(internal.listen.size(), 2u);
  EXPECT_EQ(internal.listen[0].endpoint,
            asio::ip::tcp::endpoint(asio::ip::make_address("0.0.0.0"), 443));
  EXPECT_EQ(internal.listen[1].endpoint,
            asio::ip::tcp::endpoint(asio::ip::make_address("2001:db8::2"), 443));
  EXPECT_EQ(internal.idle_timeout, 1800s);
  EXPECT_EQ(internal.affinity.ipv4_mask, 24u);
  EXPECT_EQ(internal.affinity.ipv6_mask, 56u);
  EXPECT_EQ(internal.affinity.timeout, 20min);
  EXPECT_EQ(internal.affinity.table_size, 500'000u);

  EXPECT_EQ(config.frontends[1].affinity.type, AffinityType::none);
  ASSERT_EQ(config.frontends[1].listen.size(), 1u);  // a single string is a list of one

  const FrontendConfig& external = config.frontends[2];
  EXPECT_EQ(external.idle_timeout, Duration::zero());
  EXPECT_TRUE(external.listen[1].endpoint.address().is_loopback());  // "localhost:8443"
  EXPECT_EQ(external.affinity.timeout, 1h);
  EXPECT_EQ(external.affinity.ipv6_mask, 128u);
  EXPECT_EQ(config.frontends[3].pool, external.pool);
  EXPECT_EQ(config.frontends[3].affinity.ipv6_mask, 128u);

  ASSERT_EQ(config.pools.size(), 3u);
  const PoolConfig& maglev = config.pools[0];
  EXPECT_EQ(maglev.hash_seed, 18446744073709551615u);
  EXPECT_EQ(maglev.connect_timeout, 500ms);
  EXPECT_EQ(maglev.server_timeout, 2min);
  EXPECT_EQ(maglev.retries, 10u);
  EXPECT_EQ(maglev.max_connections, 4294967295u);
  ASSERT_EQ(maglev.servers.size(), 3u);
  EXPECT_EQ(maglev.servers[1].weight, 256u);
  EXPECT_EQ(maglev.servers[0].send_proxy, SendProxy::off);  // `off`, not YAML 1.1's false
  EXPECT_EQ(maglev.servers[2].address.endpoint,
            asio::ip::tcp::endpoint(asio::ip::make_address("2001:db8::13"), 443));
  EXPECT_EQ(config.pools[1].balance, Balance::least_conn);
  EXPECT_EQ(config.pools[2].balance, Balance::round_robin);
  EXPECT_EQ(config.pools[2].retries, 0u);
  EXPECT_EQ(config.pools[2].servers[0].name, "fe01.contoso.net");

  // A Front End pool is probed on its SIP port, whatever port its traffic uses.
  const HealthConfig& sip = maglev.health;
  EXPECT_TRUE(maglev.health_configured);
  EXPECT_EQ(sip.type, HealthConfig::Type::tcp);
  EXPECT_EQ(sip.port, 5061u);
  EXPECT_EQ(sip.interval, 10s);
  EXPECT_EQ(sip.timeout, 10s);  // equal to the interval is fine
  EXPECT_EQ(sip.rise, 1u);
  EXPECT_EQ(sip.fall, 100u);
  EXPECT_TRUE(sip.observe);

  const HealthConfig& http = config.pools[1].health;
  EXPECT_EQ(http.type, HealthConfig::Type::http);
  EXPECT_EQ(http.port, 0u);  // the server's own
  EXPECT_EQ(http.interval, 500ms);
  EXPECT_EQ(http.timeout, 250ms);
  EXPECT_EQ(http.path, "/healthz?full=1");
  EXPECT_EQ(http.host, "pool.contoso.net");
  ASSERT_EQ(http.expect_status.size(), 3u);
  EXPECT_EQ(http.expect_status[0].low, 200u);
  EXPECT_EQ(http.expect_status[0].high, 200u);
  EXPECT_EQ(http.expect_status[1].low, 204u);
  EXPECT_EQ(http.expect_status[1].high, 204u);
  EXPECT_EQ(http.expect_status[2].low, 300u);
  EXPECT_EQ(http.expect_status[2].high, 399u);
  EXPECT_FALSE(http.observe);

  EXPECT_FALSE(config.pools[2].health_configured);
  EXPECT_EQ(config.pools[2].health.type, HealthConfig::Type::none);
}

Cidr cidr(const char* network, unsigned prefix) {
  Cidr block;
  block.network = asio::ip::make_address(network);
  block.prefix = prefix;
  return block;
}

TEST(GoodConfig, HttpOneReadsCookiesTrustedProxiesAndProxyHeaders) {
  const Config config = load_good("good_http.yaml");
  ASSERT_EQ(config.frontends.size(), 3u);

  // Lync's external web services behind the reverse proxy.
  const FrontendConfig& external = config.frontends[0];
  EXPECT_EQ(external.mode, Mode::http);
  EXPECT_FALSE(external.accept_proxy);
  const AffinityConfig& cookie = external.affinity;
  EXPECT_EQ(cookie.type, AffinityType::cookie);
  EXPECT_EQ(cookie.cookie.name, "MS-WSMAN");
  EXPECT_FALSE(cookie.cookie.httponly);
  EXPECT_FALSE(cookie.cookie.secure);
  EXPECT_EQ(cookie.cookie.secret_file, "cookie.key");  // as written, found next to the file
  EXPECT_EQ(cookie.cookie.secret, "tether-test-cookie-key-not-a-secret");  // newline trimmed
  EXPECT_EQ(cookie.fallback, Fallback::least_conn);
  EXPECT_EQ(cookie.client_address, ClientAddress::x_forwarded_for);
  EXPECT_EQ(cookie.trusted_proxies,
            (std::vector<Cidr>{cidr("10.0.0.0", 8), cidr("2001:db8::", 32),
                               cidr("192.0.2.7", 32)}));  // a bare address is one address

  const FrontendConfig& internal = config.frontends[1];
  EXPECT_EQ(internal.mode, Mode::tcp);
  EXPECT_TRUE(internal.accept_proxy);
  EXPECT_EQ(internal.affinity.type, AffinityType::source);
  EXPECT_EQ(internal.affinity.client_address, ClientAddress::connection);
  EXPECT_EQ(internal.affinity.trusted_proxies,
            (std::vector<Cidr>{cidr("10.1.2.0", 24), cidr("::ffff:192.0.2.0", 120)}));

  const FrontendConfig& app = config.frontends[2];
  EXPECT_EQ(app.mode, Mode::http);
  EXPECT_TRUE(app.accept_proxy);
  EXPECT_TRUE(app.affinity.trusted_proxies.empty());  // every peer must send a PROXY header
  EXPECT_EQ(app.affinity.cookie.name, "app_srv!#$%&'*+-.^_`|~");  // every token character
  EXPECT_TRUE(app.affinity.cookie.httponly);                      // YAML 1.1 `yes`
  EXPECT_TRUE(app.affinity.cookie.secure);
  EXPECT_EQ(app.affinity.cookie.secret_file, "");
  EXPECT_EQ(app.affinity.cookie.secret, "");
  EXPECT_EQ(app.affinity.fallback, Fallback::round_robin);

  ASSERT_EQ(config.pools.size(), 3u);
  const std::vector<ServerConfig>& servers = config.pools[0].servers;
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].send_proxy, SendProxy::v2);
  EXPECT_EQ(servers[1].send_proxy, SendProxy::v1);
  EXPECT_EQ(servers[2].send_proxy, SendProxy::off);
  EXPECT_EQ(config.pools[1].servers[0].send_proxy, SendProxy::off);
}

// Each bad_*.yaml holds exactly one mistake; the loader must find it at its exact place.
struct BadConfig {
  const char* file;
  int line;
  int column;
  const char* key;
  const char* reason;  // a fragment of the reason
};

void PrintTo(const BadConfig& bad, std::ostream* out) {
  *out << bad.file;
}

const BadConfig kBadConfigs[] = {
    {"bad_unknown_key.yaml", 6, 5, "frontends[0].idle_timout", "unknown key"},
    {"bad_duplicate_key.yaml", 6, 5, "frontends[0].pool", "duplicate key"},
    {"bad_wrong_type_number.yaml", 2, 10, "threads",
     "expected an integer in 0..1024, got \"four\""},
    {"bad_wrong_type_list.yaml", 9, 7, "pools[0].servers", "expected a list of servers, got a map"},
    {"bad_duplicate_frontend_name.yaml", 6, 11, "frontends[1].name",
     "duplicate frontend name \"web\" (first at line 3)"},
    {"bad_duplicate_server_name.yaml", 10, 17, "pools[0].servers[1].name",
     "duplicate server name \"fe01\" (first at line 9)"},
    {"bad_missing_pool.yaml", 5, 11, "frontends[0].pool", "no pool named \"wbe\""},
    {"bad_empty_pool.yaml", 8, 14, "pools[0].servers", "at least one server"},
    {"bad_missing_server_name.yaml", 9, 9, "pools[0].servers[0].name", "missing (required)"},
    {"bad_no_frontends.yaml", 2, 12, "frontends", "at least one frontend is required"},
    {"bad_duration_no_unit.yaml", 6, 19, "frontends[0].idle_timeout", "\"5\" has no unit"},
    {"bad_duration_unknown_unit.yaml", 8, 22, "pools[0].connect_timeout",
     "\"5x\" has an unknown unit"},
    {"bad_timeout_zero.yaml", 10, 22, "pools[0].connect_timeout", "must be greater than 0"},
    {"bad_address_no_port.yaml", 9, 32, "pools[0].servers[0].address", "\"10.0.0.1\" has no port"},
    {"bad_address_port_range.yaml", 4, 29, "frontends[0].listen[1]",
     "port 99999 in \"[::1]:99999\" is not in 0..65535"},
    {"bad_address_unresolved.yaml", 10, 18, "pools[0].servers[0].address",
     "cannot resolve host \"nonexistent.invalid\""},
    {"bad_server_port_zero.yaml", 9, 32, "pools[0].servers[0].address", "is not in 1..65535"},
    {"bad_duplicate_listen.yaml", 7, 32, "frontends[1].listen[1]",
     "\"127.0.0.1:8443\" is already listened on by frontends[0].listen (line 4)"},
    {"bad_mask_range.yaml", 8, 18, "frontends[0].affinity.ipv4_mask", "\"33\" is not in 0..32"},
    {"bad_weight_zero.yaml", 9, 58, "pools[0].servers[0].weight", "\"0\" is not in 1..256"},
    {"bad_tls_on_tcp.yaml", 6, 5, "frontends[0].tls", "needs mode: http (mode is tcp)"},
    {"bad_pool_tls_on_tcp.yaml", 5, 11, "frontends[0].pool",
     "pool \"fe\" has tls.enabled, but this frontend is mode tcp: tls to servers needs mode "
     "http frontends; a tcp relay passes bytes untouched"},
    {"bad_state_file_no_directory.yaml", 2, 13, "state_file",
     "directory \"/nonexistent-tether-dir\" does not exist"},
    // yaml-cpp notices the unclosed list of line 4 at the next key.
    {"bad_yaml_syntax.yaml", 5, 5, "YAML syntax error", "end of sequence flow not found"},
    {"bad_shared_pool_affinity.yaml", 12, 16, "frontends[1].affinity.timeout",
     "10m differs from 20m in frontends[0] (web-443), which shares pool \"web\""},
    {"bad_shared_pool_mask.yaml", 11, 18, "frontends[1].affinity.ipv4_mask",
     "24 differs from 32 in frontends[0] (web-443), which shares pool \"web\""},
    {"bad_health_expect_status_backwards.yaml", 12, 22, "pools[0].health.expect_status",
     "range 399-200 in \"399-200\" is backwards: 399 is above 200"},
    {"bad_health_expect_status_code.yaml", 12, 22, "pools[0].health.expect_status",
     "status 600 in \"600\" is not in 100..599"},
    {"bad_health_path_on_tcp.yaml", 12, 7, "pools[0].health.path",
     "only for http and https checks (type is tcp)"},
    {"bad_health_timeout_over_interval.yaml", 12, 16, "pools[0].health.timeout",
     "10s is longer than interval 5s"},
    {"bad_health_rise_zero.yaml", 11, 13, "pools[0].health.rise", "\"0\" is not in 1..100"},
    {"bad_health_unknown_key.yaml", 11, 7, "pools[0].health.intervall", "unknown key"},
    {"bad_admin_no_token.yaml", 3, 11, "admin.listen",
     "a non-loopback address requires admin.token_file"},
    {"bad_admin_token_file_missing.yaml", 4, 15, "admin.token_file",
     "no_such.token\": No such file or directory"},
    {"bad_admin_unknown_key.yaml", 4, 3, "admin.tokenfile",
     "unknown key (known keys here: listen, token_file)"},
    {"bad_admin_listen_duplicate.yaml", 3, 11, "admin.listen",
     "\"127.0.0.1:8443\" is already listened on by frontends[0].listen (line 6)"},
    {"bad_cookie_on_tcp.yaml", 7, 13, "frontends[0].affinity.type",
     "cookie affinity needs mode: http (mode is tcp)"},
    {"bad_cookie_keys_with_source.yaml", 9, 7, "frontends[0].affinity.cookie",
     "only with affinity.type: cookie (type is source)"},
    {"bad_cookie_name.yaml", 10, 15, "frontends[0].affinity.cookie.name",
     "\"MS WSMAN\" is not a valid cookie name (an RFC 6265 token"},
    {"bad_cookie_secret_short.yaml", 10, 22, "frontends[0].affinity.cookie.secret_file",
     "short_cookie.key\" holds a key of 8 bytes; at least 16 are needed, since a short key can "
     "be guessed"},
    {"bad_xff_without_trusted_proxies.yaml", 8, 23, "frontends[0].affinity.client_address",
     "x-forwarded-for needs the proxies that may send the header in affinity.trusted_proxies"},
    {"bad_cidr_prefix.yaml", 11, 11, "frontends[0].affinity.trusted_proxies[1]",
     "prefix 33 in \"192.168.0.0/33\" is not in 0..32"},
    {"bad_cidr_host_bits.yaml", 8, 42, "frontends[0].affinity.trusted_proxies[1]",
     "\"10.0.0.1/8\" has host bits set; write 10.0.0.0/8 for the network, or 10.0.0.1 for the "
     "one address"},
    {"bad_send_proxy_v3.yaml", 9, 62, "pools[0].servers[0].send_proxy",
     "expected off|v1|v2, got \"v3\""},
};

class BadConfigFile : public testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigFile, IsRefusedWithOneErrorAtTheMistake) {
  const BadConfig& bad = GetParam();
  const LoadResult result = load_file(data_file(bad.file));
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << testing::PrintToString(result.errors);
  const std::string& error = result.errors[0];
  const std::string where = data_file(bad.file) + ":" + std::to_string(bad.line) + ":" +
                            std::to_string(bad.column) + ": " + bad.key + ": ";
  EXPECT_EQ(error.substr(0, where.size()), where) << error;
  EXPECT_NE(error.find(bad.reason, where.size()), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(DataFiles, BadConfigFile, testing::ValuesIn(kBadConfigs),
                         [](const testing::TestParamInfo<BadConfig>& info) {
                           std::string name = std::filesystem::path(info.param.file).stem();
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(BadConfigFile, EveryFileInTheDataFolderHasACase) {
  std::set<std::string> covered;
  for (const BadConfig& bad : kBadConfigs)
    covered.insert(bad.file);
  for (const auto& entry : std::filesystem::directory_iterator(TETHER_TEST_DATA)) {
    const std::string name = entry.path().filename();
    if (name.starts_with("bad_") && name.ends_with(".yaml")) {
      EXPECT_TRUE(covered.contains(name)) << name << " has no case in kBadConfigs";
    }
  }
}

TEST(LoadScenario, EveryMistakeIsReportedInFileOrder) {
  const std::vector<std::string> errors = errors_of(R"(threads: 2000
frontends:
  - name: web
    listen: "127.0.0.1:0"
    pool: nowhere
    idle_timeout: 5
pools:
  - name: web
    retries: 11
    servers:
      - { name: fe01, address: "127.0.0.1:8080" }
)");
  ASSERT_EQ(errors.size(), 4u) << testing::PrintToString(errors);
  EXPECT_EQ(errors[0].rfind("inline.yaml:1:10: threads: ", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("inline.yaml:5:11: frontends[0].pool: ", 0), 0u) << errors[1];
  EXPECT_EQ(errors[2].rfind("inline.yaml:6:19: frontends[0].idle_timeout: ", 0), 0u) << errors[2];
  EXPECT_EQ(errors[3].rfind("inline.yaml:9:14: pools[0].retries: ", 0), 0u) << errors[3];
}

TEST(LoadScenario, MissingRequiredKeysAreNamed) {
  const std::vector<std::string> errors = errors_of("frontends:\n  - name: web\n" + kPool);
  ASSERT_EQ(errors.size(), 2u) << testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "inline.yaml:2:5: frontends[0].listen: missing (required)");
  EXPECT_EQ(errors[1], "inline.yaml:2:5: frontends[0].pool: missing (required)");
}

TEST(LoadScenario, EmptyFileNeedsAFrontend) {
  EXPECT_EQ(errors_of(""),
            std::vector<std::string>{"inline.yaml:1:1: frontends: missing (required)"});
}

TEST(LoadScenario, TopLevelMustBeAMap) {
  EXPECT_EQ(errors_of("- a\n- b\n"),
            std::vector<std::string>{"inline.yaml:1:1: expected a map, got a list"});
}

TEST(LoadScenario, UnreadableFileIsNamed) {
  const LoadResult result = load_file(data_file("does_not_exist.yaml"));
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("does_not_exist.yaml: cannot read"), std::string::npos);
}

// A directory opens like a file; it must not read as an empty configuration.
TEST(LoadScenario, ADirectoryIsNotReadable) {
  const std::string directory = testing::TempDir() + "a-config-folder";
  std::filesystem::create_directories(directory);
  EXPECT_EQ(load_file(directory).errors,
            std::vector<std::string>{directory + ": cannot read: Is a directory"});
}

// yaml-cpp reads the first document only: whatever follows a `---` or `...` would be ignored.
TEST(LoadScenario, ASecondDocumentOrTrailingTextIsRefused) {
  const std::string config = kFrontend + kPool;  // 8 lines
  const std::string second =
      "inline.yaml:9:1: a second YAML document starts here; the configuration is one document (a "
      "concatenated or half-edited file?)";
  EXPECT_EQ(errors_of(config + "---\nthreads: 3\n"), std::vector<std::string>{second});
  EXPECT_EQ(errors_of(config + "---\n"), std::vector<std::string>{second});
  EXPECT_EQ(errors_of(config + "...\n---\nthreads: 3\n"),
            std::vector<std::string>{
                "inline.yaml:10:1: a second YAML document starts here; the configuration is one "
                "document (a concatenated or half-edited file?)"});
  const auto garbage = errors_of(config + "...\ngarbage: [\n");  // yaml-cpp: at the end
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_EQ(garbage[0].rfind("inline.yaml:11:1: YAML syntax error: ", 0), 0u) << garbage[0];
  // Markers around one document are fine.
  EXPECT_TRUE(errors_of("---\n" + config).empty());
  EXPECT_TRUE(errors_of(config + "...\n").empty());
  EXPECT_TRUE(errors_of(config + "...\n# a comment\n").empty());
}

// yaml-cpp 0.7 parses a token it cannot place as an endless run of empty documents; the stream
// is still refused at once, at that token (LoadAll once grew a vector of them until memory ran
// out: the fuzzer found it).
TEST(LoadScenario, AStrayCommaIsASyntaxErrorNotAnEndlessStream) {
  EXPECT_EQ(errors_of(","),
            std::vector<std::string>{"inline.yaml:1:1: YAML syntax error: unexpected character"});
  EXPECT_EQ(errors_of("\n\n  ,\n"),
            std::vector<std::string>{"inline.yaml:3:3: YAML syntax error: unexpected character"});
  EXPECT_EQ(errors_of("- a\n,\n"),
            std::vector<std::string>{"inline.yaml:2:1: YAML syntax error: unexpected character"});
  EXPECT_EQ(errors_of("%YAML 1.2\n---\n,\n"),
            std::vector<std::string>{"inline.yaml:3:1: YAML syntax error: unexpected character"});
  const auto after_a_map = errors_of(kFrontend + kPool + ",\n");
  ASSERT_EQ(after_a_map.size(), 1u);
  EXPECT_EQ(after_a_map[0].rfind("inline.yaml:9:1: YAML syntax error: ", 0), 0u) << after_a_map[0];
}

// yaml-cpp stops at 500 levels and calls it "bad file".
TEST(LoadScenario, NestingTooDeepIsNamed) {
  const auto deep = errors_of("threads: " + std::string(3000, '['));
  ASSERT_EQ(deep.size(), 1u);
  EXPECT_EQ(deep[0].rfind("inline.yaml:1:", 0), 0u) << deep[0];
  EXPECT_NE(deep[0].find("YAML syntax error: nested 500 levels deep, too deep"), std::string::npos)
      << deep[0];
}

// Two frontends that cannot both bind, as the kernel sees it: equal addresses, or one the
// wildcard of the other's family and port. v6 listeners are v6-only (lb/listener.cpp), so
// [::]:P and 0.0.0.0:P both bind.
TEST(LoadScenario, FrontendAddressesThatOverlapAreRefused) {
  const auto errors = [](const std::string& first, const std::string& second) {
    return errors_of(R"(frontends:
  - name: web
    listen: [")" + first +
                     R"("]
    pool: web
  - name: web2
    listen: ["127.0.0.1:0", ")" +
                     second + R"("]
    pool: web
)" + kPool);
  };
  EXPECT_EQ(errors("0.0.0.0:8443", "127.0.0.1:8443"),
            std::vector<std::string>{"inline.yaml:6:29: frontends[1].listen[1]: \"127.0.0.1:8443\" "
                                     "overlaps 0.0.0.0:8443, listened on by frontends[0].listen[0] "
                                     "(line 3)"});
  EXPECT_EQ(errors("127.0.0.1:8443", "0.0.0.0:8443"),
            std::vector<std::string>{"inline.yaml:6:29: frontends[1].listen[1]: \"0.0.0.0:8443\" "
                                     "overlaps 127.0.0.1:8443, listened on by "
                                     "frontends[0].listen[0] (line 3)"});
  EXPECT_EQ(errors("[::]:8443", "[::1]:8443"),
            std::vector<std::string>{"inline.yaml:6:29: frontends[1].listen[1]: \"[::1]:8443\" "
                                     "overlaps [::]:8443, listened on by frontends[0].listen[0] "
                                     "(line 3)"});
  EXPECT_EQ(errors("[::1]:8443", "[::]:8443"),
            std::vector<std::string>{"inline.yaml:6:29: frontends[1].listen[1]: \"[::]:8443\" "
                                     "overlaps [::1]:8443, listened on by frontends[0].listen[0] "
                                     "(line 3)"});
  EXPECT_TRUE(errors("0.0.0.0:8443", "[::]:8443").empty());         // v6-only
  EXPECT_TRUE(errors("127.0.0.1:8443", "127.0.0.2:8443").empty());  // two addresses
  EXPECT_TRUE(errors("0.0.0.0:8443", "127.0.0.1:8444").empty());    // two ports
  EXPECT_TRUE(errors("0.0.0.0:0", "127.0.0.1:0").empty());          // fresh ports
  // Within one frontend's list too.
  EXPECT_EQ(errors_of(R"(frontends:
  - name: web
    listen: ["127.0.0.1:8443", "0.0.0.0:8443"]
    pool: web
)" + kPool),
            std::vector<std::string>{"inline.yaml:3:32: frontends[0].listen[1]: \"0.0.0.0:8443\" "
                                     "overlaps 127.0.0.1:8443, listened on by "
                                     "frontends[0].listen[0] (line 3)"});
}

TEST(LoadScenario, PortZeroListenersNeverClash) {
  const std::string yaml = kFrontend + R"(  - name: web2
    listen: "127.0.0.1:0"
    pool: web
)" + kPool;
  EXPECT_TRUE(errors_of(yaml).empty()) << testing::PrintToString(errors_of(yaml));
}

TEST(LoadScenario, FrontendWithoutAffinitySharesAPoolWithAnyTable) {
  const std::string yaml = kFrontend + R"(  - name: web-plain
    listen: "127.0.0.1:0"
    pool: web
    affinity: { type: none, timeout: 0 }
)" + kPool;
  EXPECT_TRUE(errors_of(yaml).empty()) << testing::PrintToString(errors_of(yaml));
}

TEST(LoadScenario, SharedPoolTablesMustAgreeInSizeToo) {
  const std::string yaml = kFrontend + R"(  - name: web2
    listen: "127.0.0.1:0"
    pool: web
    affinity:
      table_size: 10
)" + kPool;
  const std::vector<std::string> errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u) << testing::PrintToString(errors);
  EXPECT_EQ(errors[0].rfind("inline.yaml:9:19: frontends[1].affinity.table_size: 10 differs from "
                            "1000000 in frontends[0] (web)",
                            0),
            0u)
      << errors[0];
}

// ---- health (SPEC §3) ----

TEST(Health, AnEmptySectionTakesTheSpecDefaults) {
  const LoadResult result = load_string(kFrontend + kPool + "    health: {}\n", "inline.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  const PoolConfig& pool = result.config->pools[0];
  EXPECT_TRUE(pool.health_configured);
  const HealthConfig& health = pool.health;
  EXPECT_EQ(health.type, HealthConfig::Type::tcp);
  EXPECT_EQ(health.port, 0u);
  EXPECT_EQ(health.interval, 5s);
  EXPECT_EQ(health.timeout, 2s);
  EXPECT_EQ(health.rise, 2u);
  EXPECT_EQ(health.fall, 3u);
  EXPECT_EQ(health.path, "/");
  EXPECT_EQ(health.host, "");
  ASSERT_EQ(health.expect_status.size(), 1u);
  EXPECT_EQ(health.expect_status[0].low, 200u);
  EXPECT_EQ(health.expect_status[0].high, 399u);
  EXPECT_TRUE(health.observe);
}

// The health section of a pool whose `health:` line is `line`, which must load.
HealthConfig health_of(const std::string& line) {
  const LoadResult result = load_string(kFrontend + kPool + line + "\n", "inline.yaml");
  EXPECT_TRUE(result.ok()) << line << ": " << testing::PrintToString(result.errors);
  return result.ok() ? result.config->pools[0].health : HealthConfig{};
}

TEST(Health, TheDefaultTimeoutIsTwoSecondsOrTheIntervalIfShorter) {
  EXPECT_EQ(health_of("    health: { type: tcp, interval: 1s }").timeout, 1s);
  EXPECT_EQ(health_of("    health: { interval: 500ms }").timeout, 500ms);
  EXPECT_EQ(health_of("    health: { interval: 2s }").timeout, 2s);
  EXPECT_EQ(health_of("    health: { interval: 3s }").timeout, 2s);
  // A written timeout is kept as written.
  EXPECT_EQ(health_of("    health: { interval: 1s, timeout: 300ms }").timeout, 300ms);
  EXPECT_EQ(health_of("    health: { interval: 10s, timeout: 4s }").timeout, 4s);
}

TEST(Health, TypeNoneObservesNothingEither) {
  const LoadResult result =
      load_string(kFrontend + kPool + "    health: { type: none }\n", "inline.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_TRUE(result.config->pools[0].health_configured);
  EXPECT_EQ(result.config->pools[0].health.type, HealthConfig::Type::none);
  EXPECT_FALSE(result.config->pools[0].health.observe);
}

TEST(Health, AnUnquotedSingleStatusIsAccepted) {
  const LoadResult result = load_string(
      kFrontend + kPool + "    health: { type: http, expect_status: 204 }\n", "inline.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  const std::vector<StatusRange>& expect = result.config->pools[0].health.expect_status;
  ASSERT_EQ(expect.size(), 1u);
  EXPECT_EQ(expect[0].low, 204u);
  EXPECT_EQ(expect[0].high, 204u);
}

struct InlineCase {
  const char* yaml_line;  // appended to kFrontend + kPool (health: a key of the pool, line 9)
  const char* expected;   // the one error, or "" for none
};

void PrintTo(const InlineCase& c, std::ostream* out) {
  *out << c.yaml_line;
}

class HealthRule : public testing::TestWithParam<InlineCase> {};

TEST_P(HealthRule, IsEnforcedWithOneError) {
  const std::vector<std::string> errors =
      errors_of(kFrontend + kPool + GetParam().yaml_line + "\n");
  if (GetParam().expected[0] == '\0') {
    EXPECT_TRUE(errors.empty()) << testing::PrintToString(errors);
  } else {
    EXPECT_EQ(errors, std::vector<std::string>{GetParam().expected});
  }
}

INSTANTIATE_TEST_SUITE_P(
    PoolKeys, HealthRule,
    testing::Values(
        InlineCase{"    health: tcp",
                   "inline.yaml:9:13: pools[0].health: expected a map, got \"tcp\""},
        InlineCase{"    health: { port: 0 }",
                   "inline.yaml:9:21: pools[0].health.port: \"0\" is not in 1..65535"},
        InlineCase{"    health: { port: 65535 }", ""},
        InlineCase{"    health: { interval: 0 }",
                   "inline.yaml:9:25: pools[0].health.interval: must be greater than 0"},
        InlineCase{"    health: { timeout: 0 }",
                   "inline.yaml:9:24: pools[0].health.timeout: must be greater than 0"},
        // The default timeout follows a shorter interval; a written one may not exceed it.
        InlineCase{"    health: { interval: 1s }", ""},
        InlineCase{"    health: { interval: 1s, timeout: 1s }", ""},
        InlineCase{"    health: { interval: 1s, timeout: 2s }",
                   "inline.yaml:9:38: pools[0].health.timeout: 2s is longer than interval 1s: a "
                   "check would still run when the next one is due"},
        InlineCase{"    health: { timeout: 6s }",
                   "inline.yaml:9:24: pools[0].health.timeout: 6s is longer than interval 5s: a "
                   "check would still run when the next one is due"},
        // A bad interval is reported once, not again as shorter than the timeout.
        InlineCase{"    health: { interval: 5, timeout: 3s }",
                   "inline.yaml:9:25: pools[0].health.interval: \"5\" has no unit (expected an "
                   "integer and a unit: 500ms, 5s, 20m, 1h; or 0 for off)"},
        InlineCase{"    health: { fall: 101 }",
                   "inline.yaml:9:21: pools[0].health.fall: \"101\" is not in 1..100"},
        InlineCase{"    health: { rise: 100, fall: 1 }", ""},
        InlineCase{"    health: { observe: maybe }",
                   "inline.yaml:9:24: pools[0].health.observe: expected true or false, got "
                   "\"maybe\""},
        InlineCase{"    health: { type: http, path: healthz }",
                   "inline.yaml:9:33: pools[0].health.path: \"healthz\" must start with '/'"},
        InlineCase{"    health: { type: http, path: \"/a b\" }",
                   "inline.yaml:9:33: pools[0].health.path: \"/a b\" contains a space or a "
                   "control character"},
        InlineCase{"    health: { type: http, host: \"\" }",
                   "inline.yaml:9:33: pools[0].health.host: expected a host name, got \"\""},
        InlineCase{"    health: { type: http, host: \"fe01.contoso.net:8080\" }", ""},
        InlineCase{"    health: { type: http, expect_status: abc }",
                   "inline.yaml:9:42: pools[0].health.expect_status: expected status codes like "
                   "\"200-399\", \"200\" or \"200,204,300-399\", got \"abc\""},
        InlineCase{"    health: { type: http, expect_status: \"200,,300\" }",
                   "inline.yaml:9:42: pools[0].health.expect_status: expected status codes like "
                   "\"200-399\", \"200\" or \"200,204,300-399\", got \"200,,300\""},
        InlineCase{"    health: { type: http, expect_status: \"200-\" }",
                   "inline.yaml:9:42: pools[0].health.expect_status: expected status codes like "
                   "\"200-399\", \"200\" or \"200,204,300-399\", got \"200-\""},
        InlineCase{"    health: { type: http, expect_status: \"200,600\" }",
                   "inline.yaml:9:42: pools[0].health.expect_status: status 600 in \"200,600\" is "
                   "not in 100..599"},
        InlineCase{"    health: { type: http, expect_status: \"99\" }",
                   "inline.yaml:9:42: pools[0].health.expect_status: status 99 in \"99\" is not in "
                   "100..599"},
        InlineCase{"    health: { type: http, expect_status: [200] }",
                   "inline.yaml:9:42: pools[0].health.expect_status: expected status codes like "
                   "\"200-399\", \"200\" or \"200,204,300-399\", got a list"},
        InlineCase{"    health: { type: http, expect_status: \"100-599\" }", ""},
        // A typo'd or forgotten `type: http` is caught rather than probing something else.
        InlineCase{
            "    health: { type: tcp, host: pool.contoso.net }",
            "inline.yaml:9:26: pools[0].health.host: only for http and https checks (type is tcp)"},
        // Type none checks nothing: every key but type is a setting that would not apply.
        InlineCase{
            "    health: { type: none, expect_status: \"200\" }",
            "inline.yaml:9:27: pools[0].health.expect_status: only with a check (type tcp, http or "
            "https); type none checks nothing"},
        InlineCase{
            "    health: { type: none, interval: 5s }",
            "inline.yaml:9:27: pools[0].health.interval: only with a check (type tcp, http or "
            "https); type none checks nothing"},
        InlineCase{"    health: { port: 5061, type: none }",
                   "inline.yaml:9:15: pools[0].health.port: only with a check (type tcp, http or "
                   "https); type none checks nothing"},
        InlineCase{
            "    health: { type: none, observe: false }",
            "inline.yaml:9:27: pools[0].health.observe: only with a check (type tcp, http or "
            "https); type none checks nothing"},
        InlineCase{"    health: { type: none }", ""},
        // A type that is itself wrong is reported once; the keys after it are not judged by it.
        InlineCase{"    health: { type: htp, path: /x }",
                   "inline.yaml:9:21: pools[0].health.type: expected tcp|http|https|none, got "
                   "\"htp\""},
        InlineCase{"    health: { type: https, path: /x, host: pool.contoso.test }", ""},
        // Observing real traffic can only mark servers down; without checks none comes back.
        InlineCase{
            "    health: { type: none, observe: true }",
            "inline.yaml:9:27: pools[0].health.observe: only with a check (type tcp, http or "
            "https); type none checks nothing"}));

// ---- admin (SPEC §6) ----

// A config whose admin section is `admin` (indented lines after "admin:").
std::string with_admin(const std::string& admin) {
  return "admin:\n" + admin + kFrontend + kPool;
}

// A file in the test's temporary folder holding `content`; its absolute path.
std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = testing::TempDir() + "/tether_config_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

LoadResult load_admin(const std::string& admin) {
  return load_string(with_admin(admin), "inline.yaml");
}

TEST(Admin, LoopbackNeedsNoToken) {
  for (const char* listen : {"127.0.0.1:9900", "127.4.5.6:9900", "[::1]:9900", "localhost:0",
                             "[::ffff:127.0.0.1]:9900"}) {
    const LoadResult result = load_admin("  listen: \"" + std::string(listen) + "\"\n");
    ASSERT_TRUE(result.ok()) << listen << ": " << testing::PrintToString(result.errors);
    ASSERT_TRUE(result.config->admin.has_value());
    EXPECT_EQ(result.config->admin->listen.text, listen);
    EXPECT_EQ(result.config->admin->token_file, "");
    EXPECT_EQ(result.config->admin->token, "");
  }
}

TEST(Admin, AnyOtherAddressNeedsAToken) {
  for (const char* listen : {"0.0.0.0:9900", "[::]:9900", "10.0.0.1:9900", "[2001:db8::1]:0"}) {
    EXPECT_EQ(
        errors_of(with_admin("  listen: \"" + std::string(listen) + "\"\n")),
        std::vector<std::string>{
            "inline.yaml:2:11: admin.listen: a non-loopback address requires admin.token_file"})
        << listen;
  }
  const std::string token = temp_file("ok.token", "s3cret\n");
  const LoadResult result = load_admin("  listen: \"0.0.0.0:9900\"\n  token_file: " + token + "\n");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->admin->token_file, token);
  EXPECT_EQ(result.config->admin->token, "s3cret");
}

TEST(Admin, TheTokenIsTrimmedOfSurroundingWhitespace) {
  const std::string token = temp_file("spaces.token", " \t abc.DEF-123_~+/= \r\n\n");
  const LoadResult result = load_admin("  listen: \"127.0.0.1:0\"\n  token_file: " + token + "\n");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->admin->token, "abc.DEF-123_~+/=");
}

TEST(Admin, ATokenFileMustHoldOneUsableToken) {
  const std::string at = "inline.yaml:3:15: admin.token_file: ";
  const auto errors = [](const std::string& path) {
    return errors_of(with_admin("  listen: \"127.0.0.1:0\"\n  token_file: " + path + "\n"));
  };
  const std::string empty = temp_file("empty.token", "");
  EXPECT_EQ(errors(empty),
            std::vector<std::string>{at + "\"" + empty + "\" is empty; it must hold the token"});
  const std::string blank = temp_file("blank.token", " \n\n");
  EXPECT_EQ(errors(blank),
            std::vector<std::string>{at + "\"" + blank + "\" is empty; it must hold the token"});
  const std::string two_words = temp_file("two_words.token", "abc def\n");
  EXPECT_EQ(errors(two_words),
            std::vector<std::string>{at + "\"" + two_words +
                                     "\": the token contains a space or a non-printable character, "
                                     "which an Authorization: Bearer header cannot carry"});
  const std::string huge = temp_file("huge.token", std::string(5000, 'x'));
  EXPECT_EQ(errors(huge), std::vector<std::string>{at + "\"" + huge +
                                                   "\" is longer than 4096 bytes; it must hold "
                                                   "just the token"});
  const std::string folder = testing::TempDir();
  const std::vector<std::string> is_folder = errors(folder);
  ASSERT_EQ(is_folder.size(), 1u);
  EXPECT_NE(is_folder[0].find("cannot read \"" + folder), std::string::npos) << is_folder[0];
  EXPECT_NE(is_folder[0].find("Is a directory"), std::string::npos) << is_folder[0];
  EXPECT_EQ(errors("\"\""), std::vector<std::string>{at + "expected a file path, got \"\""});
}

TEST(Admin, ListenIsRequiredAndTheSectionIsAMap) {
  EXPECT_EQ(errors_of(with_admin("  token_file: x\n")).size(), 2u);  // missing listen + no file x
  EXPECT_EQ(
      errors_of("admin: { token_file: " + temp_file("t.token", "t") + " }\n" + kFrontend + kPool),
      std::vector<std::string>{"inline.yaml:1:8: admin.listen: missing (required)"});
  EXPECT_EQ(
      errors_of("admin: 127.0.0.1:9900\n" + kFrontend + kPool),
      std::vector<std::string>{"inline.yaml:1:8: admin: expected a map, got \"127.0.0.1:9900\""});
}

TEST(Admin, ItsPortIsNoFrontendsPort) {
  // kFrontend listens on 127.0.0.1:0, which never clashes; add one on the wildcard.
  const std::string frontend = R"(  - name: web2
    listen: ["0.0.0.0:8443", "[::1]:8444"]
    pool: web
)";
  const auto errors = [&](const std::string& listen) {
    return errors_of("admin: { listen: \"" + listen + "\" }\n" + kFrontend + frontend + kPool);
  };
  EXPECT_EQ(
      errors("127.0.0.1:8443"),
      std::vector<std::string>{"inline.yaml:1:18: admin.listen: \"127.0.0.1:8443\" overlaps "
                               "0.0.0.0:8443, listened on by frontends[1].listen[0] (line 7)"});
  EXPECT_EQ(errors("[::1]:8444"),
            std::vector<std::string>{"inline.yaml:1:18: admin.listen: \"[::1]:8444\" is already "
                                     "listened on by frontends[1].listen[1] (line 7)"});
  EXPECT_TRUE(errors("[::1]:8443").empty());      // v6 listeners are v6-only
  EXPECT_TRUE(errors("127.0.0.1:8444").empty());  // another family
  EXPECT_TRUE(errors("127.0.0.1:0").empty());     // a fresh port at each bind
}

// ---- shared pools ----

TEST(LoadScenario, SharedPoolTablesMustAgreeOnTheIpv6MaskToo) {
  const std::string yaml = kFrontend + R"(  - name: web2
    listen: "127.0.0.1:0"
    pool: web
    affinity: { ipv6_mask: 48 }
)" + kPool;
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{
                                 "inline.yaml:8:28: frontends[1].affinity.ipv6_mask: 48 differs "
                                 "from 64 in frontends[0] (web), which shares pool \"web\" and so "
                                 "its stick table; frontends of one pool must agree"});
}

// Cookie clients have no stick entries (README), so a cookie frontend's masks, timeout and
// table_size describe no table and need not match those of the pool's source frontends.
TEST(LoadScenario, CookieFrontendsShareAPoolWithAnyTable) {
  const std::string cookie = R"(  - name: web-cookie
    listen: "127.0.0.1:0"
    pool: web
    mode: http
    affinity: { type: cookie, fallback: source, ipv4_mask: 24, ipv6_mask: 48, timeout: 5m,
                table_size: 10 }
)";
  const std::string source = R"(  - name: web-source
    listen: "127.0.0.1:0"
    pool: web
    affinity: { ipv4_mask: 16 }
)";
  const std::string after_source = kFrontend + cookie + kPool;  // web: source, /32
  EXPECT_TRUE(errors_of(after_source).empty()) << testing::PrintToString(errors_of(after_source));
  const std::string before_source = "frontends:\n" + cookie + source + kPool;
  EXPECT_TRUE(errors_of(before_source).empty()) << testing::PrintToString(errors_of(before_source));
}

TEST(LoadScenario, SourceFrontendsAfterACookieOneStillAgree) {
  const std::string yaml = R"(frontends:
  - name: web-cookie
    listen: "127.0.0.1:0"
    pool: web
    mode: http
    affinity: { type: cookie, ipv4_mask: 24 }
  - name: web-a
    listen: "127.0.0.1:0"
    pool: web
    affinity: { ipv4_mask: 16 }
  - name: web-b
    listen: "127.0.0.1:0"
    pool: web
    affinity: { ipv4_mask: 20 }
)" + kPool;
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{
                                 "inline.yaml:14:28: frontends[2].affinity.ipv4_mask: 20 differs "
                                 "from 16 in frontends[1] (web-a), which shares pool \"web\" and "
                                 "so its stick table; frontends of one pool must agree"});
}

// ---- HTTP mode, cookie affinity, client addresses (SPEC §3-§5) ----

struct FrontendCase {
  const char* yaml_lines;  // appended to the first frontend (from line 5, indented 4)
  const char* expected;    // the one error, or "" for none
};

void PrintTo(const FrontendCase& c, std::ostream* out) {
  *out << c.yaml_lines;
}

class FrontendRule : public testing::TestWithParam<FrontendCase> {};

TEST_P(FrontendRule, IsEnforcedWithOneError) {
  const std::vector<std::string> errors =
      errors_of(kFrontend + GetParam().yaml_lines + "\n" + kPool);
  if (GetParam().expected[0] == '\0') {
    EXPECT_TRUE(errors.empty()) << testing::PrintToString(errors);
  } else {
    EXPECT_EQ(errors, std::vector<std::string>{GetParam().expected});
  }
}

INSTANTIATE_TEST_SUITE_P(
    ModeAndProxies, FrontendRule,
    testing::Values(
        FrontendCase{"    mode: http", ""}, FrontendCase{"    mode: tcp", ""},
        FrontendCase{"    mode: udp",
                     "inline.yaml:5:11: frontends[0].mode: expected tcp|http, got \"udp\""},
        // A PROXY header from anyone, or only from the listed peers.
        FrontendCase{"    accept_proxy: true", ""}, FrontendCase{"    accept_proxy: false", ""},
        FrontendCase{"    accept_proxy: true\n    affinity: { trusted_proxies: [10.0.0.0/8] }", ""},
        FrontendCase{"    accept_proxy: sometimes",
                     "inline.yaml:5:19: frontends[0].accept_proxy: expected true or false, got "
                     "\"sometimes\""},
        // X-Forwarded-For is only read in http mode, and only from trusted proxies.
        FrontendCase{"    mode: http\n    affinity: { client_address: x-forwarded-for, "
                     "trusted_proxies: [\"10.0.0.0/8\", \"::1\"] }",
                     ""},
        FrontendCase{"    affinity: { client_address: x-forwarded-for, trusted_proxies: "
                     "[10.0.0.0/8] }",
                     "inline.yaml:5:33: frontends[0].affinity.client_address: x-forwarded-for "
                     "needs mode: http (mode is tcp); a tcp relay never reads the header"},
        FrontendCase{"    mode: http\n    affinity: { client_address: x-forwarded-for, "
                     "trusted_proxies: [] }",
                     "inline.yaml:6:33: frontends[0].affinity.client_address: x-forwarded-for "
                     "needs the proxies that may send the header in affinity.trusted_proxies; "
                     "otherwise any client could choose its own address"},
        FrontendCase{"    affinity: { client_address: connection }", ""},
        FrontendCase{"    affinity: { client_address: proxy }",
                     "inline.yaml:5:33: frontends[0].affinity.client_address: expected "
                     "connection|x-forwarded-for, got \"proxy\""},
        // A misspelt mode is reported once, not again by the rules that depend on it.
        FrontendCase{
            "    mode: htp\n    affinity: { type: cookie, client_address: x-forwarded-for, "
            "trusted_proxies: [10.0.0.0/8] }",
            "inline.yaml:5:11: frontends[0].mode: expected tcp|http, got \"htp\""},
        // Trusting proxies with nothing to trust them for is a forgotten accept_proxy.
        FrontendCase{"    affinity: { trusted_proxies: [10.0.0.0/8] }",
                     "inline.yaml:5:17: frontends[0].affinity.trusted_proxies: has no effect: it "
                     "lists the peers that may send a PROXY header (accept_proxy: true) or "
                     "X-Forwarded-For (client_address: x-forwarded-for), and neither is on"},
        FrontendCase{"    affinity: { trusted_proxies: [] }", ""},
        FrontendCase{"    accept_proxy: true\n    affinity: { trusted_proxies: 10.0.0.0/8 }",
                     "inline.yaml:6:34: frontends[0].affinity.trusted_proxies: expected a list of "
                     "CIDRs, got \"10.0.0.0/8\""},
        FrontendCase{"    accept_proxy: true\n    affinity: { trusted_proxies: [proxy.contoso.net] "
                     "}",
                     "inline.yaml:6:35: frontends[0].affinity.trusted_proxies[0]: "
                     "\"proxy.contoso.net\" is not an IP address (expected a CIDR like 10.0.0.0/8 "
                     "or 2001:db8::/32, or an address)"},
        FrontendCase{
            "    accept_proxy: true\n    affinity: { trusted_proxies: [\"2001:db8::1/32\"] "
            "}",
            "inline.yaml:6:35: frontends[0].affinity.trusted_proxies[0]: "
            "\"2001:db8::1/32\" has host bits set; write 2001:db8::/32 for the network, "
            "or 2001:db8::1 for the one address"}));

INSTANTIATE_TEST_SUITE_P(
    Cookie, FrontendRule,
    testing::Values(
        FrontendCase{"    mode: http\n    affinity: { type: cookie }", ""},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: { name: JSESSIONID, "
                     "httponly: true, secure: true }, fallback: source }",
                     ""},
        FrontendCase{"    affinity: { type: cookie }",
                     "inline.yaml:5:23: frontends[0].affinity.type: cookie affinity needs mode: "
                     "http (mode is tcp); a tcp relay never reads or sets cookies"},
        FrontendCase{"    mode: http\n    affinity: { fallback: least_conn }",
                     "inline.yaml:6:17: frontends[0].affinity.fallback: only with affinity.type: "
                     "cookie (type is source)"},
        FrontendCase{"    mode: http\n    affinity: { type: none, cookie: {} }",
                     "inline.yaml:6:29: frontends[0].affinity.cookie: only with affinity.type: "
                     "cookie (type is none)"},
        // A misspelt type is reported once; the cookie keys are not judged by it.
        FrontendCase{"    mode: http\n    affinity: { type: cookies, fallback: source }",
                     "inline.yaml:6:23: frontends[0].affinity.type: expected source|cookie|none, "
                     "got \"cookies\""},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, fallback: random }",
                     "inline.yaml:6:41: frontends[0].affinity.fallback: expected "
                     "source|least_conn|round_robin, got \"random\""},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: { name: \"a=b\" } }",
                     "inline.yaml:6:47: frontends[0].affinity.cookie.name: \"a=b\" is not a valid "
                     "cookie name (an RFC 6265 token: visible ASCII without spaces or any of "
                     "()<>@,;:\\\"/[]?={})"},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: { name: \"\" } }",
                     "inline.yaml:6:47: frontends[0].affinity.cookie.name: \"\" is not a valid "
                     "cookie name (an RFC 6265 token: visible ASCII without spaces or any of "
                     "()<>@,;:\\\"/[]?={})"},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: { httponly: no, "
                     "secure: 1 } }",
                     "inline.yaml:6:63: frontends[0].affinity.cookie.secure: expected true or "
                     "false, got \"1\""},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: { max_age: 20m } }",
                     "inline.yaml:6:41: frontends[0].affinity.cookie.max_age: unknown key (known "
                     "keys here: name, httponly, secure, secret_file)"},
        FrontendCase{"    mode: http\n    affinity: { type: cookie, cookie: MS-WSMAN }",
                     "inline.yaml:6:39: frontends[0].affinity.cookie: expected a map, got "
                     "\"MS-WSMAN\""}));

TEST(SendProxy, OffV1AndV2AreTheChoices) {
  const std::string server = "    servers:\n      - { name: fe01, address: \"127.0.0.1:8080\", ";
  const auto load = [&](const std::string& send_proxy) {
    return load_string(
        kFrontend + "pools:\n  - name: web\n" + server + "send_proxy: " + send_proxy + " }\n",
        "inline.yaml");
  };
  for (const auto& [text, expected] :
       {std::pair{"off", SendProxy::off}, std::pair{"\"off\"", SendProxy::off},
        std::pair{"v1", SendProxy::v1}, std::pair{"v2", SendProxy::v2}}) {
    const LoadResult result = load(text);
    ASSERT_TRUE(result.ok()) << text << ": " << testing::PrintToString(result.errors);
    EXPECT_EQ(result.config->pools[0].servers[0].send_proxy, expected) << text;
  }
  // YAML 1.1 reads `off` as false; its other spellings of false are not choices here.
  EXPECT_EQ(load("false").errors,
            std::vector<std::string>{"inline.yaml:8:62: pools[0].servers[0].send_proxy: expected "
                                     "off|v1|v2, got \"false\""});
}

// ---- the cookie key file ----

std::vector<std::string> cookie_key_errors(const std::string& path) {
  return errors_of(kFrontend +
                   "    mode: http\n    affinity:\n      type: cookie\n"
                   "      cookie: { secret_file: " +
                   path + " }\n" + kPool);
}

TEST(CookieKey, IsReadTrimmed) {
  const std::string key = temp_file("cookie16.key", "  0123456789abcdef\r\n");
  const LoadResult result = load_string(
      kFrontend + "    mode: http\n    affinity: { type: cookie, cookie: { secret_file: " + key +
          " } }\n" + kPool,
      "inline.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->frontends[0].affinity.cookie.secret_file, key);
  EXPECT_EQ(result.config->frontends[0].affinity.cookie.secret, "0123456789abcdef");
}

TEST(CookieKey, AnyBytesWillDo) {
  // A key from /dev/urandom may hold anything; it never goes into a header, unlike a token.
  const std::string key = temp_file("binary.key", std::string("\x01\x00\xff key with spaces", 19));
  const LoadResult result = load_string(
      kFrontend + "    mode: http\n    affinity: { type: cookie, cookie: { secret_file: " + key +
          " } }\n" + kPool,
      "inline.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->frontends[0].affinity.cookie.secret,
            std::string("\x01\x00\xff key with spaces", 19));
}

TEST(CookieKey, MustBeReadableLongEnoughAndNotHuge) {
  const std::string at = "inline.yaml:8:30: frontends[0].affinity.cookie.secret_file: ";
  const std::string missing = testing::TempDir() + "/tether_config_test_no_such.key";
  EXPECT_EQ(cookie_key_errors(missing), std::vector<std::string>{at + "cannot read \"" + missing +
                                                                 "\": No such file or directory"});
  const std::string empty = temp_file("empty.key", "\n");
  EXPECT_EQ(cookie_key_errors(empty),
            std::vector<std::string>{at + "\"" + empty + "\" is empty; it must hold the key"});
  const std::string short_key = temp_file("short.key", "0123456789abcde\n");
  EXPECT_EQ(cookie_key_errors(short_key),
            std::vector<std::string>{
                at + "\"" + short_key +
                "\" holds a key of 15 bytes; at least 16 are needed, since a short key can be "
                "guessed and then anyone can forge a cookie naming any server"});
  const std::string huge = temp_file("huge.key", std::string(5000, 'k'));
  EXPECT_EQ(cookie_key_errors(huge),
            std::vector<std::string>{at + "\"" + huge +
                                     "\" is longer than 4096 bytes; it must hold just the key"});
  EXPECT_EQ(cookie_key_errors("\"\""),
            std::vector<std::string>{at + "expected a file path, got \"\""});
}

// ---- tls (frontends and pools) ----

std::string http_frontend_with_tls(const std::string& tls) {
  return kFrontend + "    mode: http\n    tls: " + tls + "\n" + kPool;
}

TEST(FrontendTls, OneCertificateIsReadWithItsNamesAndExpiry) {
  const auto& certs = test::test_certs();
  const LoadResult result = load_string(
      http_frontend_with_tls("{ cert: " + certs.cert("ext") + ", key: " + certs.key("ext") + " }"),
      "inline.yaml");
  ASSERT_TRUE(result.ok()) << result.errors.front();
  const auto& tls = result.config->frontends[0].tls;
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->min_version, TlsVersion::tls12);
  ASSERT_EQ(tls->certificates.size(), 1u);
  const TlsCertificate& cert = tls->certificates[0];
  EXPECT_EQ(cert.names, (std::vector<std::string>{"ext.contoso.test", "localhost"}));
  EXPECT_NE(cert.cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(cert.key_pem.find("PRIVATE KEY"), std::string::npos);
  const auto days_left = std::chrono::duration_cast<std::chrono::hours>(
                             cert.not_after - std::chrono::system_clock::now())
                             .count() /
                         24;
  EXPECT_GE(days_left, 823);  // made with -days 825 just now
  EXPECT_LE(days_left, 825);
}

TEST(FrontendTls, SeveralCertificatesKeepTheirOrderAndARelativePathIsNextToTheConfig) {
  const auto& certs = test::test_certs();
  const LoadResult result =
      load_string(http_frontend_with_tls("\n      min_version: \"1.3\"\n      certificates:\n"
                                         "        - { cert: ext.pem, key: ext.key }\n"
                                         "        - { cert: int.pem, key: int.key }"),
                  certs.path("tether.yaml"));
  ASSERT_TRUE(result.ok()) << result.errors.front();
  const auto& tls = *result.config->frontends[0].tls;
  EXPECT_EQ(tls.min_version, TlsVersion::tls13);
  ASSERT_EQ(tls.certificates.size(), 2u);
  EXPECT_EQ(tls.certificates[0].cert_file, certs.cert("ext"));
  EXPECT_EQ(tls.certificates[1].names,
            (std::vector<std::string>{"int.contoso.test", "*.int.contoso.test"}));
}

TEST(FrontendTls, BadFilesAreRefusedAtTheKeyThatNamesThem) {
  const auto& certs = test::test_certs();
  const auto errors = [&](const std::string& tls) {
    return load_string(http_frontend_with_tls(tls), certs.path("tether.yaml")).errors;
  };
  const std::string dir = certs.dir + "/";
  // int.key is a good key, but not ext.pem's.
  EXPECT_EQ(errors("{ cert: ext.pem, key: int.key }"),
            std::vector<std::string>{dir + "tether.yaml:6:32: frontends[0].tls.key: \"" + dir +
                                     "int.key\" is not the key of the certificate in \"" + dir +
                                     "ext.pem\""});
  EXPECT_EQ(errors("{ cert: ext.key, key: ext.key }"),
            std::vector<std::string>{dir + "tether.yaml:6:18: frontends[0].tls.cert: \"" + dir +
                                     "ext.key\" holds no PEM certificate"});
  EXPECT_EQ(errors("{ cert: ext.pem, key: ext.pem }")[0].find("frontends[0].tls.key: \"" + dir +
                                                              "ext.pem\" holds no usable PEM "
                                                              "private key"),
            dir.size() + std::string("tether.yaml:6:32: ").size());
  EXPECT_EQ(
      errors("{ cert: missing.pem, key: ext.key }"),
      std::vector<std::string>{dir + "tether.yaml:6:18: frontends[0].tls.cert: cannot read \"" +
                               dir + "missing.pem\": No such file or directory"});
  EXPECT_EQ(errors("{ cert: ext.pem }"),
            std::vector<std::string>{dir + "tether.yaml:6:10: frontends[0].tls.key: missing "
                                           "(required)"});
  EXPECT_EQ(errors("{ certificates: [] }"),
            std::vector<std::string>{dir + "tether.yaml:6:26: frontends[0].tls.certificates: at "
                                           "least one certificate is required"});
  EXPECT_EQ(errors("{ min_version: \"1.1\", cert: ext.pem, key: ext.key }"),
            std::vector<std::string>{dir + "tether.yaml:6:25: frontends[0].tls.min_version: "
                                           "expected 1.2|1.3, got \"1.1\""});
  EXPECT_EQ(errors("{ min_version: \"1.3\" }"),
            std::vector<std::string>{dir + "tether.yaml:6:10: frontends[0].tls: needs a "
                                           "certificate: cert and key, or certificates"});
  EXPECT_EQ(
      errors("{ cert: ext.pem, key: ext.key, certificates: [{ cert: ext.pem, key: ext.key }] }"),
      std::vector<std::string>{dir + "tether.yaml:6:41: frontends[0].tls.certificates: either cert "
                                     "and key (one certificate) or certificates (several), not "
                                     "both"});
}

TEST(PoolTls, SettingsAreReadAndEnabledMustBeWritten) {
  const auto& certs = test::test_certs();
  const LoadResult result =
      load_string(kFrontend + "    mode: http\n" + kPool +
                      "    tls: { enabled: true, ca: ca.pem, sni: pool.contoso.test }\n"
                      "    health: { type: https, port: 5061, path: /healthz }\n",
                  certs.path("tether.yaml"));
  ASSERT_TRUE(result.ok()) << result.errors.front();
  const PoolConfig& pool = result.config->pools[0];
  EXPECT_TRUE(pool.tls.enabled);
  EXPECT_TRUE(pool.tls.verify);
  EXPECT_EQ(pool.tls.ca_file, "ca.pem");
  EXPECT_NE(pool.tls.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(pool.tls.sni, "pool.contoso.test");
  EXPECT_EQ(pool.health.type, HealthConfig::Type::https);
  EXPECT_EQ(pool.health.path, "/healthz");

  // Without a tls block: no re-encryption, and https checks verify against the system's CAs.
  const LoadResult plain = load_string(kFrontend + kPool, "inline.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain.config->pools[0].tls.enabled);
  EXPECT_TRUE(plain.config->pools[0].tls.verify);

  const auto errors = [&](const std::string& tls) {
    return load_string(kFrontend + "    mode: http\n" + kPool + "    tls: " + tls + "\n",
                       certs.path("tether.yaml"))
        .errors;
  };
  const std::string at = certs.dir + "/tether.yaml:10:";
  EXPECT_EQ(errors("{ verify: false }"),
            std::vector<std::string>{at + "10: pools[0].tls.enabled: missing (required)"});
  EXPECT_EQ(errors("{ enabled: true, ca: ext.key }"),
            std::vector<std::string>{at + "31: pools[0].tls.ca: \"" + certs.dir +
                                     "/ext.key\" holds no PEM certificate"});
  EXPECT_EQ(errors("{ enabled: yes please }"),
            std::vector<std::string>{
                at + "21: pools[0].tls.enabled: expected true or false, got \"yes please\""});
}

TEST(PoolTls, ATcpFrontendMayUseAPoolWhoseTlsOnlySetsUpHttpsChecks) {
  // enabled: false keeps traffic as it is; the block only tells https checks how to verify.
  const auto& certs = test::test_certs();
  const LoadResult checks_only = load_string(kFrontend + kPool +
                                                 "    tls: { enabled: false, ca: ca.pem }\n"
                                                 "    health: { type: https, port: 443 }\n",
                                             certs.path("tether.yaml"));
  EXPECT_TRUE(checks_only.ok()) << checks_only.errors.front();

  const LoadResult reencrypting =
      load_string(kFrontend + kPool + "    tls: { enabled: true }\n", "inline.yaml");
  ASSERT_EQ(reencrypting.errors.size(), 1u);
  EXPECT_NE(reencrypting.errors[0].find("inline.yaml:4:11: frontends[0].pool: pool \"web\" has "
                                        "tls.enabled, but this frontend is mode tcp"),
            std::string::npos)
      << reencrypting.errors[0];
}

TEST(TlsNames, AWildcardCoversExactlyOneLabel) {
  EXPECT_TRUE(tls_name_matches("ext.contoso.test", "EXT.contoso.test"));
  EXPECT_TRUE(tls_name_matches("*.int.contoso.test", "lyncweb.int.contoso.test"));
  EXPECT_FALSE(tls_name_matches("*.int.contoso.test", "int.contoso.test"));
  EXPECT_FALSE(tls_name_matches("*.int.contoso.test", "a.b.int.contoso.test"));
  EXPECT_FALSE(tls_name_matches("ext.contoso.test", "ext.contoso.test.evil"));
}

// ---- state_file ----

TEST(StateFile, ARelativePathIsNextToTheConfigFileAndItsDirectoryMustBeWritable) {
  const std::string directory = ::testing::TempDir() + "state-dir";
  std::filesystem::create_directories(directory);
  const LoadResult relative =
      load_string("state_file: tether.state\n" + kFrontend + kPool, directory + "/tether.yaml");
  ASSERT_TRUE(relative.ok()) << relative.errors.front();
  EXPECT_EQ(relative.config->state_file, directory + "/tether.state");

  EXPECT_EQ(
      errors_of("state_file: \"\"\n" + kFrontend + kPool),
      std::vector<std::string>{"inline.yaml:1:13: state_file: expected a file path, got \"\""});
  EXPECT_EQ(errors_of("state_file: " + directory + "\n" + kFrontend + kPool),
            std::vector<std::string>{"inline.yaml:1:13: state_file: \"" + directory +
                                     "\" exists and is not a regular file"});
  if (::geteuid() != 0) {  // root writes anywhere
    const std::string locked = ::testing::TempDir() + "locked-dir";
    std::filesystem::create_directories(locked);
    std::filesystem::permissions(
        locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    const auto errors = errors_of("state_file: " + locked + "/state\n" + kFrontend + kPool);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("is not writable"), std::string::npos) << errors[0];
  }
}

// ---- log.access ----

// A log that cannot be opened fails the start; `--check` (the systemd unit's ExecStartPre) must
// say so first, or the unit restarts in a loop.
TEST(AccessLog, AFileThatCannotBeOpenedIsRefused) {
  const std::string directory = ::testing::TempDir() + "access-log-dir";
  std::filesystem::create_directories(directory);
  const auto errors = [](const std::string& access) {
    return errors_of("log: { access: \"" + access + "\" }\n" + kFrontend + kPool);
  };
  EXPECT_EQ(errors("/nonexistent-tether-dir/access.log"),
            std::vector<std::string>{"inline.yaml:1:16: log.access: directory "
                                     "\"/nonexistent-tether-dir\" does not exist"});
  EXPECT_EQ(errors(directory), std::vector<std::string>{"inline.yaml:1:16: log.access: \"" +
                                                        directory + "\" is a directory"});
  EXPECT_EQ(errors(""), std::vector<std::string>{"inline.yaml:1:16: log.access: expected stdout, "
                                                 "off or a file path, got \"\""});
  // A new file in a writable folder, an existing one, a device: nothing is created.
  EXPECT_TRUE(errors(directory + "/access.log").empty());
  EXPECT_FALSE(std::filesystem::exists(directory + "/access.log"));
  EXPECT_TRUE(errors(temp_file("existing-access.log", "")).empty());
  EXPECT_TRUE(errors("/dev/null").empty());
  EXPECT_TRUE(errors("stdout").empty());
  EXPECT_TRUE(errors("off").empty());
  EXPECT_TRUE(errors_of("log: { access: off }\n" + kFrontend + kPool).empty());
  if (::geteuid() != 0) {  // root writes anywhere
    const std::string locked = ::testing::TempDir() + "locked-log-dir";
    std::filesystem::create_directories(locked);
    std::filesystem::permissions(
        locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    const auto refused = errors(locked + "/access.log");
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_NE(refused[0].find("is not writable"), std::string::npos) << refused[0];
  }
}

// As token_file, state_file and TLS files: a relative path is next to the config file, not in
// whatever folder Tether was started from.
TEST(AccessLog, ARelativePathIsNextToTheConfigFile) {
  const std::string directory = ::testing::TempDir() + "access-log-relative";
  std::filesystem::create_directories(directory + "/logs");
  const LoadResult result = load_string("log: { access: logs/access.log }\n" + kFrontend + kPool,
                                        directory + "/tether.yaml");
  ASSERT_TRUE(result.ok()) << testing::PrintToString(result.errors);
  EXPECT_EQ(result.config->log.access, directory + "/logs/access.log");
  EXPECT_EQ(load_string("log: { access: stdout }\n" + kFrontend + kPool, directory + "/tether.yaml")
                .config->log.access,
            "stdout");
}

// ---- loading without touching the outside world (the config fuzz target) ----

TEST(LoadOptions, WithoutResolutionAHostNameIsRefusedAndAnIpIsRead) {
  const LoadOptions hermetic{.resolve_names = false, .read_files = true};
  const LoadResult names = load_string(
      "admin: { listen: \"localhost:9900\" }\n" + kFrontend + kPool, "inline.yaml", hermetic);
  EXPECT_EQ(names.errors, std::vector<std::string>{
                              "inline.yaml:1:18: admin.listen: host \"localhost\" is not an IP "
                              "address, and names are not resolved here"});
  const LoadResult ips = load_string(kFrontend + kPool, "inline.yaml", hermetic);
  EXPECT_TRUE(ips.ok()) << testing::PrintToString(ips.errors);
}

TEST(LoadOptions, WithoutFilesASecretFileIsRefusedUnopened) {
  const std::string key = temp_file("unopened.key", "0123456789abcdef\n");
  const LoadResult result = load_string(
      kFrontend + "    mode: http\n    affinity: { type: cookie, cookie: { secret_file: " + key +
          " } }\n" + kPool,
      "inline.yaml", LoadOptions{.resolve_names = true, .read_files = false});
  EXPECT_EQ(result.errors, std::vector<std::string>{"inline.yaml:6:54: "
                                                    "frontends[0].affinity.cookie.secret_file: "
                                                    "files are not read here"});
}

}  // namespace
}  // namespace tether::config
