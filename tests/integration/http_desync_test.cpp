// Where a client and a server could disagree on where a message ends (request smuggling, a
// response reaching the wrong client), on what belongs to one hop only, and where an error could
// reach the client garbled or not at all. Each case is one a black-box audit found against
// HAProxy 2.6 on the same input: Tether now answers as it does, or stricter.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "lb/http/tokens.h"
#include "tests/integration/http_fault_fixture.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

// One request as a scripted server read it.
struct Seen {
  std::string line;  // the request line
  std::string head;
  std::string body;  // Content-Length framing only
};

// Reads the next request on `c`; `pending` carries bytes read past the previous one. False at
// EOF.
bool read_request(ScriptedServer::Connection& c, std::string& pending, Seen& out) {
  char buffer[4096];
  auto fill = [&] {
    std::error_code ec;
    const std::size_t n = c.socket().read_some(asio::buffer(buffer), ec);
    if (ec) return false;
    pending.append(buffer, n);
    return true;
  };
  while (pending.find("\r\n\r\n") == std::string::npos)
    if (!fill()) return false;
  const std::size_t end = pending.find("\r\n\r\n") + 4;
  out.head = pending.substr(0, end);
  out.line = out.head.substr(0, out.head.find("\r\n"));
  std::size_t length = 0;
  for (std::size_t at = 0; (at = out.head.find("\r\n", at)) != std::string::npos; at += 2) {
    const std::string_view line = std::string_view(out.head).substr(at + 2);
    if (line.size() > 15 && lb::http::iequals(line.substr(0, 15), "content-length:"))
      length = std::stoul(std::string(line.substr(15)));
  }
  while (pending.size() < end + length)
    if (!fill()) return false;
  out.body = pending.substr(end, length);
  pending.erase(0, end + length);
  return true;
}

class HttpDesync : public HttpFaultTest {
 protected:
  // A keep-alive server that records every request and answers each with its request line.
  ScriptedServer::Script recording_server(
      std::function<void(ScriptedServer::Connection&, const Seen&)> after = nullptr) {
    return [this, after](ScriptedServer::Connection& c) {
      std::string pending;
      Seen request;
      while (read_request(c, pending, request)) {
        {
          std::lock_guard lock(mutex);
          seen.push_back(request);
        }
        const std::string body = request.line + " body=" + std::to_string(request.body.size());
        c.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                body);
        if (after) after(c, request);
      }
    };
  }
  // A server that records one request, answers it with `response` and keeps the connection.
  ScriptedServer::Script answering_once(std::string response) {
    return [this, response](ScriptedServer::Connection& c) {
      std::string pending;
      Seen request;
      if (!read_request(c, pending, request)) return;
      {
        std::lock_guard lock(mutex);
        seen.push_back(request);
      }
      c.write(response);
      c.hold(5s);
    };
  }
  std::vector<Seen> requests_seen() {
    std::lock_guard lock(mutex);
    return seen;
  }

  std::mutex mutex;
  std::vector<Seen> seen;
};

TEST_F(HttpDesync, AnUpgradeWithABodyIsPassedOnAsAPlainRequestWithItsBody) {
  // curl --http2 -d sends exactly this shape (Upgrade: h2c with a body). The body here is itself
  // a request: had it been left in the client's buffer, it would have been parsed as the next
  // request and sent to the server without Tether's checks.
  start(recording_server());
  const std::string inner = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  HttpClient client(tether->endpoint("faulty"));
  client.send(
      "POST /first HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n"
      "Content-Length: " +
      std::to_string(inner.size()) + "\r\n\r\n" + inner);
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "POST /first HTTP/1.1 body=" + std::to_string(inner.size()));
  EXPECT_EQ(client.get("/second").body, "GET /second HTTP/1.1 body=0");

  const auto seen = requests_seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body, inner);
  // Not offered to the server: it would switch after a body we pass on as HTTP/1.1.
  EXPECT_EQ(seen[0].head.find("Upgrade: foo"), std::string::npos) << seen[0].head;
  EXPECT_EQ(seen[1].line, "GET /second HTTP/1.1");
}

TEST_F(HttpDesync, FieldsAConnectionHeaderNamesStayOnTheirHop) {
  // RFC 9110 §7.6.1: removed by a proxy, both ways (HAProxy does the same).
  start(
      answering_once("HTTP/1.1 200 OK\r\nConnection: X-Server-Hop\r\nX-Server-Hop: 1\r\n"
                     "X-Kept: 2\r\nContent-Length: 2\r\n\r\nok"));
  HttpClient client(tether->endpoint("faulty"));
  const auto r =
      client.get("/", "Connection: X-Client-Hop\r\nX-Client-Hop: secret\r\nX-Kept: 3\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.count("X-Server-Hop"), 0) << r.head;
  EXPECT_EQ(r.header("X-Kept"), "2") << r.head;
  const auto seen = requests_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].head.find("X-Client-Hop"), std::string::npos) << seen[0].head;
  EXPECT_NE(seen[0].head.find("X-Kept: 3"), std::string::npos) << seen[0].head;
}

TEST_F(HttpDesync, AConnectionHeaderCannotTakeAwayTheFraming) {
  // A Connection header must not strip what frames the message (or routes it): without its
  // Transfer-Encoding the chunked body below would reach the server as a request of its own, and
  // a response without its Content-Length would leave the client waiting for the end (close, so
  // that a failure here is quick rather than a wait for the idle timeout).
  start(answering_once(
      "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 2\r\n\r\nok"));
  const std::string inner = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  std::ostringstream chunk;
  chunk << std::hex << inner.size();
  HttpClient client(tether->endpoint("faulty"));
  client.send(
      "POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding, Host, close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      chunk.str() + "\r\n" + inner + "\r\n0\r\n\r\n");
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.header("Content-Length"), "2") << r.head;
  const auto seen = requests_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos)
      << seen[0].head;
  EXPECT_NE(seen[0].head.find("\r\nHost: a\r\n"), std::string::npos) << seen[0].head;
}

TEST_F(HttpDesync, ARepeatedContentLengthGoesOnAsOneField) {
  // RFC 9110 §8.6: repeats of one length are let through only as one field with one value; a
  // strict next hop (Tether's own client side among them) refuses a head that repeats it.
  start(answering_once("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok"));
  HttpClient client(tether->endpoint("faulty"));
  client.send(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Between: 1\r\n"
      "Content-Length: 5, 5\r\n\r\nhello");
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.count("Content-Length"), 1) << r.head;
  EXPECT_EQ(r.header("Content-Length"), "2") << r.head;
  const auto seen = requests_seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "hello");
  EXPECT_NE(seen[0].head.find("\r\nContent-Length: 5\r\nX-Between: 1\r\n"), std::string::npos)
      << seen[0].head;
  EXPECT_EQ(seen[0].head.find("Content-Length: 5", seen[0].head.find("X-Between")),
            std::string::npos)
      << seen[0].head;
}

TEST_F(HttpDesync, BytesAServerSendsOnAParkedConnectionNeverReachAnotherClient) {
  // After its answer to /extra the server sends a second response nobody asked for. The next
  // client's request must not get it as its own answer.
  start(recording_server([](ScriptedServer::Connection& c, const Seen& request) {
    if (request.line.find("/extra") != std::string::npos && c.hold(100ms))
      c.write("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nnot-for-you!");
  }));
  {
    HttpClient first(tether->endpoint("faulty"));
    EXPECT_EQ(first.get("/extra").body, "GET /extra HTTP/1.1 body=0");
  }
  std::this_thread::sleep_for(300ms);  // the stray response has reached the parked connection
  HttpClient second(tether->endpoint("faulty"), "127.0.0.3");
  const auto r = second.get("/victim");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "GET /victim HTTP/1.1 body=0");
  EXPECT_EQ(faulty->accepted(), 2u);  // the spoiled connection was dropped, not reused
}

TEST_F(HttpDesync, AServerSwitchingProtocolsUnaskedIs502) {
  // RFC 9110 §15.2.2: only to a protocol the client offered. What follows is not HTTP/1.1, so the
  // connection must serve nobody else either.
  start([](auto& c) {
    if (c.read_head().empty()) return;
    c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n");
    c.hold(5s);
  });
  HttpClient client(tether->endpoint("faulty"));
  EXPECT_EQ(client.get("/").status, 502u);
  EXPECT_TRUE(client.closed());
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpDesync, AnUploadTheServerStopsReadingEndsWithTheServersEarlyAnswer) {
  // The server answers at once and reads no more (an authentication failure, say): the client
  // gets the answer with Connection: close, and the connection ends then, not when the server
  // or an idle timeout lets go of it.
  start([](auto& c) {
    if (c.read_head().empty()) return;
    c.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    c.hold(20s);
  });
  HttpClient client(tether->endpoint("faulty"));
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20000000\r\n\r\n");
  const int writer_fd = ::dup(client.socket().native_handle());
  std::thread uploader([writer_fd] {
    const std::string piece(64 * 1024, 'u');
    for (int i = 0; i < 300; ++i)  // 20 MB; stops when the connection is gone
      if (::send(writer_fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
  });
  const auto r = client.read();
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("Connection"), "close");
  const auto answered = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - answered, 3s);
  ::shutdown(writer_fd, SHUT_RDWR);  // the uploader may still be blocked in send()
  uploader.join();
  ::close(writer_fd);
  expect_nothing_left();
}

TEST_F(HttpDesync, AnInvalidChunkedResponseIs502WhenNothingHasGoneOut) {
  start([](auto& c) {
    if (c.read_head().empty()) return;
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n");
    c.hold(5s);
  });
  HttpClient client(tether->endpoint("faulty"));
  EXPECT_EQ(client.get("/").status, 502u);
  const auto line = log_line(client.socket().local_endpoint().port());
  EXPECT_EQ(log_field(line, "status"), "502") << line;
  expect_nothing_left();
}

TEST_F(HttpDesync, ATransferEncodingForAnHttp10ClientIs502) {
  // RFC 9112 §6.1: never sent to an HTTP/1.0 client, which would take the chunk lines for the
  // body. An HTTP/1.1 client on the same server is served.
  start([](auto& c) {
    for (std::string head; !(head = c.read_head()).empty();)
      c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  });
  HttpClient old_client(tether->endpoint("faulty"));
  old_client.send("GET / HTTP/1.0\r\n\r\n");
  const auto r = old_client.read();
  EXPECT_EQ(r.status, 502u) << r.head;
  HttpClient client(tether->endpoint("faulty"));
  const auto served = client.get("/");
  EXPECT_EQ(served.status, 200u);
  EXPECT_EQ(served.body, "ok");
}

TEST_F(HttpDesync, AServerClosingAfter100ContinueGetsTheClientA502) {
  // An interim response does not end the exchange: the client still gets a final one.
  start([](auto& c) {
    if (!c.read_head().empty()) c.write("HTTP/1.1 100 Continue\r\n\r\n");
  });
  HttpClient client(tether->endpoint("faulty"));
  client.send("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(client.read().status, 502u);  // read() passes over the 100
  expect_nothing_left();
}

TEST_F(HttpDesync, AnInvalidChunkedRequestBodyIsAnswered400) {
  start(recording_server());
  HttpClient client(tether->endpoint("faulty"));
  client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");
  EXPECT_EQ(client.read().status, 400u);
  const auto line = log_line(client.socket().local_endpoint().port());
  EXPECT_EQ(log_field(line, "status"), "400") << line;
  EXPECT_EQ(log_field(line, "server"), "faulty") << line;
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpDesync, AnErrorAnswerEndsWithAFinSoTheClientCanReadIt) {
  // A request line over the head limit (431) with more behind it. Closing with those bytes
  // unread would send a reset, which on some clients destroys the answer (RFC 9112 §9.6).
  start(recording_server());
  HttpClient client(tether->endpoint("faulty"));
  client.send("GET /" + std::string(70 * 1024, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.read().status, 431u);
  char byte;
  std::error_code ec;
  client.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
}

}  // namespace
}  // namespace tether::test
