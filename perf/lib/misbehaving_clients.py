#!/usr/bin/env python3
"""Clients that misbehave against a load balancer in front of tether-pool (perf/soak).

    misbehaving_clients.py HOST HTTP_PORT TCP_PORT COUNT [THREADS]

Client i does action i % 6, against HTTP_PORT (odd i) or TCP_PORT (even i):
  reset-in-head    sends half a request head, then a RST
  reset-waiting    asks for 4 MB, then a RST before reading anything
  reset-mid-body   reads 100 KB of a 4 MB body, then a RST
  half-close       sends a request, shuts its sending side, reads the whole answer
  silent           connects, says nothing for 0.5 s, closes
  slow-sender      sends its request head one byte every 10 ms, reads the answer
The answers half-close and slow-sender read are checked against tether-pool's /bytes/N
pattern (byte i is 'a' + i % 26). Prints one JSON object: clients, checked, corrupt,
unanswered (no complete 200: expected while the soak fails or hangs a server).
Every socket has a 10 s timeout; the run is bounded.
"""
import json
import socket
import struct
import sys
import threading
import time

PERIOD = bytes(range(ord("a"), ord("a") + 26))


def pattern(n):
    return (PERIOD * (n // 26 + 1))[:n]


def connect(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(10)
    return s


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def request(size, close=True):
    return (f"GET /bytes/{size} HTTP/1.1\r\nHost: soak\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n").encode()


def read_response(s):
    """Returns (status, body, complete) for one Content-Length response."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return 0, b"", False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        return status, body, False
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body[:length], len(body) >= length


def run(i, host, http_port, tcp_port, tally, lock):
    port = http_port if i % 2 else tcp_port
    action = i % 6
    result = None  # None: nothing to check; True: checked intact; False: corrupt; "x": unanswered
    try:
        s = connect(host, port)
        if action == 0:
            s.sendall(b"GET /bytes/1000 HTTP/1.1\r\nHo")
            time.sleep(0.05)
            reset(s)
        elif action == 1:
            s.sendall(request(4_000_000))
            time.sleep(0.05)
            reset(s)
        elif action == 2:
            s.sendall(request(4_000_000))
            got = 0
            while got < 100_000:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
            reset(s)
        elif action in (3, 5):
            size = 300_000 if action == 3 else 20_000
            if action == 3:
                s.sendall(request(size))
                s.shutdown(socket.SHUT_WR)
            else:
                for b in request(size):
                    s.sendall(bytes([b]))
                    time.sleep(0.01)
            status, body, complete = read_response(s)
            if status == 200 and complete:
                result = body == pattern(size)
            else:
                result = "x"
            s.close()
        else:
            time.sleep(0.5)
            s.close()
    except OSError:
        result = "x" if action in (3, 5) else None
    with lock:
        tally["clients"] += 1
        if result is True:
            tally["checked"] += 1
        elif result is False:
            tally["checked"] += 1
            tally["corrupt"] += 1
        elif result == "x":
            tally["unanswered"] += 1


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    host, http_port, tcp_port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    threads = int(sys.argv[5]) if len(sys.argv) == 6 else 12
    tally = {"clients": 0, "checked": 0, "corrupt": 0, "unanswered": 0}
    lock = threading.Lock()
    pending = list(range(count))

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                i = pending.pop()
            run(i, host, http_port, tcp_port, tally, lock)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps(tally))


if __name__ == "__main__":
    main()
