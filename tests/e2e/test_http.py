"""The HTTP front door at the socket level: hostile request lines, header
smuggling, NUL in paths, the idle timeout, the SIGTERM drain, every
unimplemented route, and slow routes kept off the request threads."""
import json
import os
import re
import signal
import socket
import threading
import time

import pytest

from kedgetest.daemon import Daemon


def raw(sock_path, data, timeout=5):
    """Sends data on a new connection; returns (reply bytes, seconds until
    the daemon closed the connection)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock_path)
    t0 = time.monotonic()
    s.sendall(data)
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except ConnectionResetError:
        pass
    took = time.monotonic() - t0
    s.close()
    return reply, took


def assert_400_json_and_closed(reply, took, what):
    assert reply.startswith(b"HTTP/1.1 400"), (what, reply[:200])
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"application/json" in head, (what, head)
    assert "message" in json.loads(body), (what, body)
    assert took < 2, (what, took)  # answered and closed at once, not at a timeout


@pytest.mark.parametrize("data", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello, no line end
    b"\x00\x01\x02\xff\xfe\xfd binary\r\n\r\n",
    b"\x8f\x9a\x01GET / HTTP/1.1\r\n\r\n",
    b"GET\r\n\r\n",                                   # no target, no version
    b"GET /_ping\r\n\r\n",                            # no version (HTTP/0.9)
    b"GARBAGE\r\n\r\n",
    b"GET /_ping HTTP/9.9\r\n\r\n",
    b"GET /_p\x01ing HTTP/1.1\r\nHost: d\r\n\r\n",      # a control byte in the target
], ids=["tls", "nul-binary", "high-bytes", "bare-get", "no-version", "garbage",
        "bad-version", "ctl-in-target"])
def test_invalid_request_line_400_at_once(kedge, data):
    reply, took = raw(kedge.sock, data)
    assert_400_json_and_closed(reply, took, data)
    assert kedge.http().request("GET", "/_ping").status == 200


def test_duplicate_content_length_refused(kedge):
    reply, took = raw(kedge.sock, b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                      b"Content-Length: 40\r\n\r\n{}")
    assert_400_json_and_closed(reply, took, "two Content-Length")
    assert b"Content-Length" in reply
    reply, took = raw(kedge.sock, b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                      b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                      b"Content-Length: 4\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert_400_json_and_closed(reply, took, "Transfer-Encoding and Content-Length")
    assert b"Transfer-Encoding" in reply
    # The same value twice is allowed by RFC 9110 and by Go's server.
    reply, _ = raw(kedge.sock, b"GET /_ping HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n"
                   b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200"), reply[:100]


@pytest.mark.parametrize("path", ["/_ping%00", "/containers/json%00", "/v1.41/_ping%00",
                                  "/containers/a%00b/json", "/_ping%00?x=1"])
def test_nul_in_path_refused(kedge, path):
    reply, _ = raw(kedge.sock, b"GET %s HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"
                   % path.encode())
    assert reply.startswith(b"HTTP/1.1 400"), (path, reply[:200])
    assert b"NUL" in reply
    assert kedge.http().request("GET", "/_ping").status == 200


def test_valid_requests_still_served_after_hostile_ones(kedge):
    for data in (b"\x16\x03\x01", b"GET\r\n\r\n", b"GET /_ping%00 HTTP/1.1\r\n\r\n"):
        raw(kedge.sock, data)
    # Leading blank lines before a request line are allowed (RFC 9112 2.2).
    reply, _ = raw(kedge.sock, b"\r\nGET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200"), reply[:100]
    reply, _ = raw(kedge.sock, b"GET /_ping HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200") or reply.startswith(b"HTTP/1.0 200"), reply[:100]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_request_line_in_pieces(kedge):
    """A request line that arrives in pieces is served; one cut short by a
    half-close is closed without the daemon spinning on it."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(kedge.sock)
    for piece in (b"GE", b"T /_p", b"ing HTT", b"P/1.1\r\nHost: d\r\n\r\n"):
        s.sendall(piece)
        time.sleep(0.2)
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    s.close()
    before = cpu_seconds(kedge.proc.pid)
    cut = []
    for _ in range(5):
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(5)
        c.connect(kedge.sock)
        c.sendall(b"GET /_pi")
        c.shutdown(socket.SHUT_WR)
        cut.append(c)
    time.sleep(1.5)
    for c in cut:
        assert not c.recv(4096).startswith(b"HTTP/1.1 200")
        c.close()
    assert cpu_seconds(kedge.proc.pid) - before < 0.5
    assert kedge.http().request("GET", "/_ping").status == 200


def test_idle_connection_closed_after_timeout(tmp_path):
    env = dict(os.environ, KEDGE_API_IDLE_TIMEOUT="2")
    d = Daemon(root=str(tmp_path), env=env).start()
    try:
        # A connection that never sends anything, and one that went quiet
        # after a request (keep-alive), are both closed after the timeout.
        silent = socket.socket(socket.AF_UNIX)
        silent.settimeout(10)
        silent.connect(d.sock)
        quiet = socket.socket(socket.AF_UNIX)
        quiet.settimeout(10)
        quiet.connect(d.sock)
        quiet.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
        assert quiet.recv(4096).startswith(b"HTTP/1.1 200")
        t0 = time.monotonic()
        assert silent.recv(4096) == b""
        assert quiet.recv(4096) == b""
        took = time.monotonic() - t0
        assert 1.0 < took < 6, took
        # A live connection is not cut meanwhile.
        h = d.http()
        for _ in range(3):
            assert h.request("GET", "/_ping").status == 200
            time.sleep(1)
    finally:
        assert d.stop() == 0


def test_sigterm_drains_request_in_flight(tmp_path):
    """SIGTERM while a request body is still arriving: the request gets its
    whole reply, then the daemon exits 0 and removes its socket."""
    d = Daemon(root=str(tmp_path)).start()
    body = json.dumps({"Image": "nosuchimage:1", "Cmd": ["x" * 200000]}).encode()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(d.sock)
    s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    s.sendall(body[:1000])
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert d.proc.poll() is None, "the daemon exited with a request in flight"
    assert not os.path.exists(d.sock), "the socket stays while draining"
    s.sendall(body[1000:])
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
        if b"\r\n\r\n" in reply and reply.endswith(b"}\n"):
            break
    assert reply.startswith(b"HTTP/1.1 404"), reply[:300]  # the image is missing
    assert b"No such image" in reply, reply
    s.close()
    assert d.proc.wait(15) == 0
    d.stop()
    assert "daemon stopped" in d.read_log()
    assert not os.path.exists(d.sock)


def test_sigterm_drains_slow_handler(tmp_path):
    """SIGTERM during a stop that takes its full timeout: the stop finishes
    and is answered before the daemon exits."""
    from kedgetest.images import busybox_archive

    d = Daemon(root=str(tmp_path)).start()
    h = d.http(timeout=60)
    assert h.request("POST", "/images/load?quiet=1", body=busybox_archive(),
                     headers={"Content-Type": "application/x-tar"}).status == 200
    r = h.request("POST", "/containers/create", body=json.dumps(
        {"Image": "busybox", "Cmd": ["sh", "-c", "sleep 1000"]}),
        headers={"Content-Type": "application/json"})
    cid = r.json()["Id"]
    assert h.request("POST", "/containers/%s/start" % cid).status == 204
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(d.sock)
    s.sendall(b"POST /containers/%s/stop?t=2 HTTP/1.1\r\nHost: d\r\n\r\n" % cid.encode())
    time.sleep(0.5)
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 204"), reply[:300]
    assert time.monotonic() - t0 > 1.0  # it really was in flight
    assert d.proc.wait(15) == 0
    d.stop()
    assert not os.path.exists(d.sock)
    # The container was stopped by that request, not left running.
    d.start()
    r = d.http().request("GET", "/containers/%s/json" % cid)
    assert r.json()["State"]["Running"] is False
    assert d.http().request("DELETE", "/containers/%s?force=1" % cid).status == 204
    assert d.stop() == 0


def unimplemented_routes():
    top = os.environ.get("KEDGE_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(top, "src", "api", "routes.def")) as f:
        text = f.read()
    out = []
    for m in re.finditer(r'^ROUTE\w*\((\w+), "([^"]+)", (\w+),', text, re.M):
        if m.group(3) == "NULL":
            out.append((m.group(1), m.group(2)))
    return out


def test_every_unimplemented_route_is_501(kedge):
    routes = unimplemented_routes()
    assert len(routes) > 40, routes  # the parser really read the table
    h = kedge.http()
    for method, pattern in routes:
        path = re.sub(r"\{\w+\*\}", "some/name", pattern)
        path = re.sub(r"\{\w+\}", "x1", path)
        for prefix in ("", "/v1.44"):
            r = h.request(method, prefix + path, body=b"{}" if method in ("POST", "PUT") else None,
                          headers={"Content-Type": "application/json"})
            assert r.status == 501, (method, path, r.status, r.body[:200])
            if method != "HEAD":
                msg = r.json()["message"]
                assert "%s %s" % (method, pattern) in msg and "not implemented" in msg, msg


def test_slow_routes_do_not_stall_pings(docker_cli, busybox, kedge):
    """Stops that wait out their timeout run on workers: with more of them in
    flight than the server has request threads, new connections still get
    their _ping answered at once."""
    n = 6
    timeout = 6  # a stall behind these stops would last ~5 s
    for i in range(n):
        docker_cli("run", "-d", "--name", "stubborn%d" % i, "busybox", "sh", "-c", "sleep 1000")
    results = []

    def stop(i):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(kedge.sock)
        s.sendall(b"POST /containers/stubborn%d/stop?t=%d HTTP/1.1\r\nHost: d\r\n\r\n"
                  % (i, timeout))
        results.append(s.recv(4096)[:12])
        s.close()

    stoppers = [threading.Thread(target=stop, args=(i,)) for i in range(n)]
    for t in stoppers:
        t.start()
    time.sleep(1)
    took = []

    def ping():
        t0 = time.monotonic()
        r = kedge.http(timeout=10).request("GET", "/_ping")
        took.append((r.status, time.monotonic() - t0))

    pingers = [threading.Thread(target=ping) for _ in range(24)]
    for t in pingers:
        t.start()
    for t in pingers:
        t.join(15)
    assert len(took) == 24 and all(st == 200 for st, _ in took), took
    assert max(t for _, t in took) < 2.5, took
    for t in stoppers:
        t.join(30)
    assert results == [b"HTTP/1.1 204"] * n, results


def test_load_body_bound(kedge):
    """A load or import body is spooled up to a bound; a declared length past
    it is refused with 413 before anything is written."""
    reply, _ = raw(kedge.sock, b"POST /images/load HTTP/1.1\r\nHost: d\r\n"
                   b"Content-Type: application/x-tar\r\nContent-Length: 99999999999999\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    reply, _ = raw(kedge.sock, b"POST /images/create?fromSrc=-&repo=x HTTP/1.1\r\nHost: d\r\n"
                   b"Content-Type: application/x-tar\r\nContent-Length: 99999999999999\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
