#!/usr/bin/env python3
"""The dashboard (GET / on the admin port) in a real headless Chromium, driven over the DevTools
protocol: the page loads with no request leaving the admin port, shows the servers of the test
config with their pinned clients, a token typed into its token field enables the buttons, and a
click on "drain" changes the server's state (checked through /api/v1/status). A screenshot is
saved as the CI artifact (--artifact, build/artifacts/dashboard.png under ctest).

Standard library only: the WebSocket client for the DevTools protocol is the small one below.
Exit 77 (ctest: skipped) when Chromium is not installed, unless TETHER_REQUIRE_BROWSER=1 (CI),
which makes a missing browser a failure.
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
TOKEN = "dashboard-test-token-0123456789"
SERVERS = ["fe01", "fe02", "fe03"]
CLIENTS = 30


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for(what, condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """A server that stamps its name on each connection, then waits for the client to close."""

    def __init__(self, name):
        self.name = name
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        with conn:
            try:
                conn.sendall((self.name + "\n").encode())
                while conn.recv(4096):
                    pass
            except OSError:
                pass


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: text frames, client-side masking."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url):
        assert url.startswith("ws://")
        host_port, _, path = url[len("ws://"):].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                fail("DevTools closed the WebSocket handshake")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        expected = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if not head.startswith(b"HTTP/1.1 101") or expected.encode() not in head:
            fail("WebSocket handshake refused: " + head.decode(errors="replace"))

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                fail("DevTools closed the WebSocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send_frame(self, opcode, payload):
        header = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        header += mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def receive(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                fail("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()


class DevTools:
    def __init__(self, url):
        self.ws = WebSocket(url)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    fail(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            fail(f"page script failed: {expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def drain_events(self):
        # Events arrive between answers; a no-op call collects the ones pending.
        self.call("Runtime.evaluate", expression="0")
        events, self.events = self.events, []
        return events

    def click(self, selector):
        """A real mouse click at the element's centre, as a user's."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()")
        if not box:
            fail("nothing to click at " + selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"],
                      button="left", clickCount=1)


def find_chromium():
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def status(admin):
    with urllib.request.urlopen(f"http://{admin}/api/v1/status", timeout=5) as r:
        return json.load(r)


def server_state(admin, name):
    for pool in status(admin)["pools"]:
        for server in pool["servers"]:
            if server["name"] == name:
                return server["admin_state"]
    fail("no server " + name + " in status")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tether", required=True, help="the tether binary")
    parser.add_argument("--artifact", required=True, help="where to save the screenshot (PNG)")
    args = parser.parse_args()

    chromium = find_chromium()
    if not chromium:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("TETHER_REQUIRE_BROWSER") == "1":
            fail(message + ", and TETHER_REQUIRE_BROWSER=1 requires it")
        print("SKIP: " + message)
        return SKIP

    work = tempfile.mkdtemp(prefix="tether-dashboard-")
    processes = []
    try:
        backends = [Backend(name) for name in SERVERS]
        frontend_port, admin_port = free_port(), free_port()
        admin = f"127.0.0.1:{admin_port}"
        with open(os.path.join(work, "admin.token"), "w") as f:
            f.write(TOKEN + "\n")
        config = os.path.join(work, "tether.yaml")
        with open(config, "w") as f:
            f.write(
                "threads: 1\nshutdown_grace: 1s\nlog: { access: off }\n"
                f"admin: {{ listen: \"{admin}\", token_file: \"{work}/admin.token\" }}\n"
                "frontends:\n"
                f"  - {{ name: web, listen: [\"127.0.0.1:{frontend_port}\"], pool: web,"
                " affinity: { type: source, timeout: 20m } }\n"
                "pools:\n  - name: web\n    servers:\n" +
                "".join(f"      - {{ name: {b.name}, address: \"127.0.0.1:{b.port}\" }}\n"
                        for b in backends))
        tether = subprocess.Popen([args.tether, "-c", config, "--log-level", "warn"])
        processes.append(tether)

        def admin_up():
            try:
                with urllib.request.urlopen(f"http://{admin}/healthz", timeout=1) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError):
                return tether.poll() is not None and fail("tether exited")
        wait_for("the admin API", admin_up)

        # Pinned clients, each from its own address, so the page has shares to show.
        for i in range(CLIENTS):
            with socket.socket() as c:
                c.bind((f"127.1.0.{i + 1}", 0))
                c.connect(("127.0.0.1", frontend_port))
                if not c.recv(16).endswith(b"\n"):
                    fail("no backend answered client %d" % i)
        wait_for("30 pinned clients", lambda: status(admin)["pools"][0]["stick_entries"] == CLIENTS)

        profile = os.path.join(work, "profile")
        browser = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1280,720", "about:blank"],
            # Its own scratch files (org.chromium.Chromium.*) go with the work folder, not /tmp.
            env={**os.environ, "TMPDIR": work},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(browser)
        port_file = os.path.join(profile, "DevToolsActivePort")
        wait_for("Chromium's DevTools port", lambda: os.path.exists(port_file) and
                 open(port_file).read().count("\n") >= 1, timeout=30)
        devtools_port = int(open(port_file).read().split("\n")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=5) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        if not pages:
            fail("Chromium has no page")
        page = DevTools(pages[0]["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Network.enable")
        page.call("Page.navigate", url=f"http://{admin}/")

        # The page shows the servers of the config, with their pinned clients.
        names = wait_for("the servers on the page", lambda: page.evaluate(
            "[...document.querySelectorAll('section[data-pool=\"web\"] tr[data-server]')]"
            ".map(r => r.dataset.server)") == SERVERS and SERVERS)
        pinned = page.evaluate(
            "[...document.querySelectorAll('tr[data-server] td.pinned')]"
            ".map(td => Number(td.textContent))")
        if sum(pinned) != CLIENTS:
            fail(f"the page shows {pinned} pinned clients, expected {CLIENTS} in all")
        shares = page.evaluate(
            "[...document.querySelectorAll('tr[data-server] .pct')].map(s => s.textContent)")
        if len(shares) != 3 or abs(sum(float(s.rstrip("%")) for s in shares) - 100) > 0.5:
            fail(f"shares of clients do not add up to 100%: {shares}")
        print(f"page shows servers {names}, pinned {pinned}, shares {shares}")

        # A token is required: the field is shown and the buttons wait for it.
        if page.evaluate("document.getElementById('auth').hidden"):
            fail("the token field is hidden although the admin API requires a token")
        drain = 'tr[data-server="fe02"] button[data-action="drain"]'
        if not page.evaluate(f"document.querySelector({json.dumps(drain)}).disabled"):
            fail("drain is enabled before a token was given")
        page.click("#token")
        page.call("Input.insertText", text=TOKEN)
        wait_for("drain to be enabled", lambda: page.evaluate(
            f"!document.querySelector({json.dumps(drain)}).disabled"))

        if server_state(admin, "fe02") != "ready":
            fail("fe02 is not ready before the click")
        page.click(drain)
        wait_for("fe02 to be drained (status API)", lambda: server_state(admin, "fe02") == "drain")
        wait_for("the page to show fe02 draining", lambda: page.evaluate(
            "document.querySelector('tr[data-server=\"fe02\"] td.state').textContent"
            ".startsWith('drain')"))
        print("drain click: fe02 is now drain")

        # Self-contained: nothing was requested from anywhere but the admin port.
        urls = [e["params"]["request"]["url"] for e in page.drain_events()
                if e.get("method") == "Network.requestWillBeSent"]
        foreign = [u for u in urls if not u.startswith(f"http://{admin}/")]
        if not urls or foreign:
            fail(f"requests beyond the admin port: {foreign} (of {len(urls)})")

        shot = page.call("Page.captureScreenshot", format="png")
        png = base64.b64decode(shot["data"])
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            fail("the screenshot is not a PNG")
        os.makedirs(os.path.dirname(os.path.abspath(args.artifact)), exist_ok=True)
        with open(args.artifact, "wb") as f:
            f.write(png)
        print(f"screenshot: {args.artifact} ({len(png)} bytes)")
        return 0
    finally:
        for p in reversed(processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
