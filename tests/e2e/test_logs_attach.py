"""Logs and attach streams: tail limits, stdin with backpressure, past output
on attach, and the buffered json-file writer, through the docker CLI,
docker-py and raw HTTP."""
import hashlib
import json
import os
import socket
import struct
import subprocess
import time

import pytest


def demux(body):
    """Docker's multiplexed frames -> [(stream, bytes)]."""
    out = []
    while body:
        assert len(body) >= 8, body
        st, n = struct.unpack(">BxxxL", body[:8])
        out.append((st, body[8:8 + n]))
        assert len(body) >= 8 + n
        body = body[8 + n:]
    return out


def raw_request(sock_path, request, timeout=30):
    """Sends request bytes, half-closes, returns (head, body) read to EOF."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(request)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def unchunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, body = out + rest[:n], rest[n + 2:]
    return out


def test_logs_tail_bounds(docker_cli, busybox, kedge):
    docker_cli("run", "--name", "tl", "busybox", "sh", "-c", "echo a; echo b; echo c")
    http = kedge.http()
    def tail(v):
        r = http.request("GET", "/containers/tl/logs?stdout=1&tail=" + v)
        return r.status, b"".join(d for _, d in demux(r.body)) if r.status == 200 else r.json()
    # A tail larger than the log (or than any integer) is the whole log,
    # never an allocation of that size.
    assert tail("100000000000000000000") == (200, b"a\nb\nc\n")
    assert tail("99999999999") == (200, b"a\nb\nc\n")
    assert tail("all") == (200, b"a\nb\nc\n")
    assert tail("-1") == (200, b"a\nb\nc\n")
    assert tail("") == (200, b"a\nb\nc\n")
    assert tail("2") == (200, b"b\nc\n")
    assert tail("0") == (200, b"")
    for bad in ("abc", "-5", "1.5", "2x", "-100000000000000000000"):
        st, body = tail(bad)
        assert st == 400 and "tail" in body["message"], (bad, st, body)
    assert http.request("GET", "/_ping").status == 200
    # through the CLI
    p = docker_cli("logs", "--tail", "100000000000000000000", "tl")
    assert p.stdout == b"a\nb\nc\n"
    p = docker_cli("logs", "--tail", "abc", "tl", check=False)
    assert p.returncode != 0 and b"tail" in p.stderr


def test_logs_tail_across_rotated_files_and_streams(docker_cli, busybox, kedge):
    docker_cli("run", "--name", "tr", "--log-opt", "max-size=1k", "--log-opt", "max-file=5",
               "busybox", "sh", "-c", "for i in $(seq 1 60); do echo out-$i; done")
    p = docker_cli("logs", "--tail", "25", "tr")
    assert p.stdout.decode().split() == ["out-%d" % i for i in range(36, 61)]
    # As dockerd: tail counts the log's last lines whatever their stream,
    # then the streams not asked for are left out.
    docker_cli("run", "--name", "ts", "busybox", "sh", "-c",
               "echo o1; sleep 0.2; echo e1 >&2; sleep 0.2; echo o2")
    http = kedge.http()
    assert http.request("GET", "/containers/ts/logs?stderr=1&tail=1").body == b""
    assert demux(http.request("GET", "/containers/ts/logs?stderr=1&tail=2").body) == \
        [(2, b"e1\n")]
    assert demux(http.request("GET", "/containers/ts/logs?stdout=1&tail=2").body) == \
        [(1, b"o2\n")]
    assert demux(http.request("GET", "/containers/ts/logs?stdout=1&stderr=1&tail=2").body) == \
        [(2, b"e1\n"), (1, b"o2\n")]


def _md5(b):
    return hashlib.md5(b).hexdigest()


@pytest.mark.parametrize("size", [1 << 20, 64 << 20])
def test_run_stdin_any_size(docker_cli, busybox, size):
    # 0x10 0x11 is ctrl-p ctrl-q: only a TTY has detach keys
    data = b"\x10\x11" + os.urandom(size)
    p = docker_cli("run", "--rm", "-i", "busybox", "sh", "-c", "md5sum", input=data,
                   timeout=240)
    assert p.stdout.decode().split()[0] == _md5(data)


def test_run_stdin_and_output_both_large(docker_cli, busybox):
    # cat echoes stdin while more is still coming: the shim must keep
    # reading output while stdin is held back, or both sides block.
    data = os.urandom(8 << 20)
    p = docker_cli("run", "--rm", "-i", "busybox", "cat", input=data, timeout=240)
    assert len(p.stdout) == len(data) and p.stdout == data


def test_start_ai_stdin(docker_cli, busybox):
    data = os.urandom(3 << 20)
    docker_cli("create", "-i", "--name", "sai", "busybox", "sh", "-c", "md5sum; echo done")
    p = docker_cli("start", "-ai", "sai", input=data, timeout=120)
    assert p.stdout.decode().split() == [_md5(data), "-", "done"]
    assert docker_cli("inspect", "--format", "{{.State.ExitCode}}", "sai").stdout == b"0\n"


def test_docker_py_attach_socket_half_close(docker_py, busybox):
    data = os.urandom(2 << 20)
    # docker-py has no stdin_once argument: the config as `docker run -i` sends it
    api = docker_py.api
    cid = api._result(api._post_json(api._url("/containers/create"), data={
        "Image": "busybox", "Cmd": ["sh", "-c", "md5sum; echo after-eof"],
        "OpenStdin": True, "StdinOnce": True, "AttachStdin": True}), True)["Id"]
    c = docker_py.containers.get(cid)
    s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    sock = s._sock
    c.start()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)  # stdin EOF; output must keep flowing
    body = b""
    sock.settimeout(60)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    out = b"".join(d for st, d in demux(body) if st == 1)
    assert out.decode().split() == [_md5(data), "-", "after-eof"]
    assert c.wait(timeout=30)["StatusCode"] == 0
    c.remove()


def _attach(kedge, name, query, upgrade=True):
    hdr = b"Connection: Upgrade\r\nUpgrade: tcp\r\n" if upgrade else b"Connection: close\r\n"
    req = (b"POST /v1.47/containers/%s/attach?%s HTTP/1.1\r\nHost: d\r\n%s"
           b"Content-Length: 0\r\n\r\n" % (name.encode(), query.encode(), hdr))
    head, body = raw_request(kedge.sock, req)
    return head, (body if upgrade else unchunk(body))


def test_attach_logs_past_output(docker_cli, busybox, kedge):
    docker_cli("run", "--name", "past", "busybox", "sh", "-c", "echo one; echo two >&2")
    head, body = _attach(kedge, "past", "logs=1&stream=0&stdout=1&stderr=1")
    assert head.startswith(b"HTTP/1.1 101"), head
    assert demux(body) == [(1, b"one\n"), (2, b"two\n")]
    head, body = _attach(kedge, "past", "logs=1&stream=0&stdout=1")
    assert demux(body) == [(1, b"one\n")]
    head, body = _attach(kedge, "past", "logs=1&stream=0&stderr=1", upgrade=False)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert demux(body) == [(2, b"two\n")]
    # docker-py's attach(logs=True) without a stream
    import docker
    c = docker.DockerClient(base_url=kedge.host, version="auto").containers.get("past")
    for _ in range(5):
        assert c.attach(stdout=True, stderr=True, logs=True, stream=False) == b"one\ntwo\n"


def test_attach_logs_then_live(docker_cli, busybox, kedge):
    docker_cli("run", "-d", "--name", "live", "busybox", "sh", "-c",
               "echo early; sleep 2; echo late; echo late-err >&2")
    time.sleep(1)
    head, body = _attach(kedge, "live", "logs=1&stream=1&stdout=1&stderr=1")
    assert demux(body) == [(1, b"early\n"), (1, b"late\n"), (2, b"late-err\n")]
    # a TTY container: raw bytes, past then live
    docker_cli("run", "-dt", "--name", "livetty", "busybox", "sh", "-c",
               "echo early; sleep 2; echo late")
    time.sleep(1)
    head, body = _attach(kedge, "livetty", "logs=1&stream=1&stdout=1")
    assert body == b"early\r\nlate\r\n"


def _log_lines(kedge, cid):
    path = os.path.join(kedge.data_root, "containers", cid, cid + "-json.log")
    with open(path, "rb") as f:
        return [json.loads(l) for l in f.read().splitlines()]


def test_log_writer_buffer_edges(docker_cli, busybox, kedge):
    # A line that crosses the shim's read and write buffers (300 KB), a
    # partial line at exit, and stdout/stderr interleaved keep their order.
    docker_cli("run", "--name", "edges", "busybox", "sh", "-c",
               "head -c 300000 /dev/zero | tr '\\0' a; echo; echo err >&2; "
               "sleep 0.1; printf tail-no-newline")
    cid = docker_cli("inspect", "--format", "{{.Id}}", "edges").stdout.decode().strip()
    entries = _log_lines(kedge, cid)
    text = "".join(e["log"] for e in entries if e["stream"] == "stdout")
    assert text == "a" * 300000 + "\n" + "tail-no-newline"
    # Docker splits lines at 16 KiB: every piece but the last lacks "\n"
    pieces = [e["log"] for e in entries if e["stream"] == "stdout"][:-1]
    assert all(len(p) <= 16384 for p in pieces) and pieces[-1].endswith("\n")
    assert [e["log"] for e in entries if e["stream"] == "stderr"] == ["err\n"]
    assert entries[-1]["log"] == "tail-no-newline"
    times = [e["time"] for e in entries]
    assert times == sorted(times)
    assert docker_cli("logs", "edges").stdout == b"a" * 300000 + b"\ntail-no-newline"


def test_log_rotation_mid_buffer(docker_cli, busybox, kedge):
    # Many lines in one burst: the writer buffers them, and rotation still
    # happens at the size limit, with no line lost or split across files.
    docker_cli("run", "--name", "rotb", "--log-opt", "max-size=10k", "--log-opt",
               "max-file=100", "busybox", "sh", "-c", "seq 1 5000")
    cid = docker_cli("inspect", "--format", "{{.Id}}", "rotb").stdout.decode().strip()
    d = os.path.join(kedge.data_root, "containers", cid)
    files = [f for f in os.listdir(d) if f.startswith(cid + "-json.log")]
    assert len(files) > 5
    for f in files:
        size = os.path.getsize(os.path.join(d, f))
        # rotation happens before the write that finds the file full
        assert size < 10 * 1024 + 100, (f, size)
        with open(os.path.join(d, f), "rb") as fh:
            for line in fh.read().splitlines():
                json.loads(line)  # whole entries only
    assert docker_cli("logs", "rotb").stdout.decode().split() == [str(i) for i in range(1, 5001)]


def test_logs_follow_latency(docker_cli, busybox, kedge):
    # A line printed by a running container reaches `docker logs -f` quickly
    # even though the shim buffers its log writes.
    docker_cli("run", "-d", "--name", "lat", "busybox", "sh", "-c",
               "sleep 1; echo ping; sleep 30")
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.Popen(["docker", "logs", "-f", "lat"], env=env, stdout=subprocess.PIPE)
    try:
        t0 = time.time()
        line = p.stdout.readline()
        assert line == b"ping\n"
        assert time.time() - t0 < 3
    finally:
        p.kill()
        p.wait()
    docker_cli("rm", "-f", "lat")


def test_logs_bytes_round_trip(docker_cli, busybox, kedge):
    # Escapes, multi-byte UTF-8, a surrogate pair, HTML characters Go
    # escapes, and invalid UTF-8 (U+FFFD) come back as Docker gives them.
    docker_cli("run", "--name", "rt", "busybox", "sh", "-c",
               "printf 'caf\\303\\251 \\342\\202\\254 \\360\\237\\230\\200 <a&b> \"q\" "
               "back\\\\slash\\ttab\\r\\n'; printf 'bad\\377\\n' >&2; "
               "printf '\\001\\037 ctl\\n'")
    p = docker_cli("logs", "rt")
    assert p.stdout == ("café € \U0001F600 <a&b> \"q\" back\\slash\ttab\r\n"
                        "\x01\x1f ctl\n").encode()
    assert p.stderr == "bad\ufffd\n".encode()


def test_logs_since_until(docker_cli, busybox, kedge):
    docker_cli("run", "--name", "su", "busybox", "sh", "-c", "echo a; sleep 1.5; echo b")
    lines = docker_cli("logs", "-t", "su").stdout.decode().splitlines()
    assert [l.split(" ", 1)[1] for l in lines] == ["a", "b"]
    import datetime
    def unix(ts):  # 2026-12-05T16:47:38.123456789Z -> "sec.nanos"
        d = datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        return "%d.%s" % (d.timestamp(), ts[20:29])
    ta, tb = (unix(l.split(" ", 1)[0]) for l in lines)
    assert docker_cli("logs", "--since", tb, "su").stdout == b"b\n"
    assert docker_cli("logs", "--until", ta, "su").stdout == b"a\n"
    http = kedge.http()
    r = http.request("GET", "/containers/su/logs?stdout=1&since=%s&until=%s" % (ta, ta))
    assert demux(r.body) == [(1, b"a\n")]
    # Times past 64-bit nanoseconds are the far future/past, not an overflow.
    for q, want in (("since=99999999999", b""), ("since=100000000000000000000", b""),
                    ("until=99999999999.5", b"a\nb\n"),
                    ("until=100000000000000000000", b"a\nb\n"),
                    ("since=-99999999999", b"a\nb\n")):
        r = http.request("GET", "/containers/su/logs?stdout=1&" + q)
        assert r.status == 200 and b"".join(d for _, d in demux(r.body)) == want, q
    for q in ("since=abc", "until=1x", "since=1.2.3"):
        r = http.request("GET", "/containers/su/logs?stdout=1&" + q)
        assert r.status == 400, q


def test_logs_reads_other_entry_shapes(docker_cli, busybox, kedge):
    # Files written by dockerd (attrs, other key orders) or damaged lines:
    # the hand decoder hands other shapes to jansson, garbage is skipped.
    docker_cli("run", "--name", "shapes", "busybox", "echo", "first")
    cid = docker_cli("inspect", "--format", "{{.Id}}", "shapes").stdout.decode().strip()
    path = os.path.join(kedge.data_root, "containers", cid, cid + "-json.log")
    with open(path, "ab") as f:
        f.write(b'{"log":"with-attrs\\n","stream":"stdout","attrs":{"k":"v"},'
                b'"time":"2030-01-01T00:00:00.000000001Z"}\n')
        f.write(b'not json at all\n')
        f.write(b'{"stream":"stderr","time":"2030-01-01T00:00:01Z","log":"reordered\\u00e9\\n"}\n')
        f.write(b'{"log":"broken\\uZZZZ","stream":"stdout","time":"2030-01-01T00:00:02Z"}\n')
        f.write(b'{"log":"last\\n","stream":"stdout","time":"2030-01-01T00:00:03Z"}\n')
    p = docker_cli("logs", "shapes")
    assert p.stdout == b"first\nwith-attrs\nlast\n"
    assert p.stderr == "reorderedé\n".encode()
    assert docker_cli("logs", "--tail", "2", "shapes").stdout == b"last\n"


def test_slow_attach_client_loses_nothing(docker_cli, busybox, kedge):
    # A client that does not read for a while holds the container back
    # (as dockerd's attach does); the shim used to drop it and lose output.
    docker_cli("create", "--name", "slow", "busybox", "seq", "1", "400000")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(kedge.sock)
    s.sendall(b"POST /v1.47/containers/slow/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
              b"Host: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
    time.sleep(0.3)
    assert kedge.http().request("POST", "/containers/slow/start").status == 204
    time.sleep(3)  # not reading: the socket, the daemon and the shim fill up
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    body = data.partition(b"\r\n\r\n")[2]
    out = b"".join(d for st, d in demux(body) if st == 1)
    want = "".join("%d\n" % i for i in range(1, 400001)).encode()
    assert len(out) == len(want) and out == want
    assert docker_cli("wait", "slow").stdout == b"0\n"
    assert docker_cli("logs", "slow").stdout == want


def test_logs_follow_across_rotation(docker_cli, busybox, kedge):
    # `docker logs -f` keeps up with a log that rotates under it (at a rate
    # the 50 ms poll sees each rotation), buffered writes included.
    docker_cli("run", "-d", "--name", "frot", "--log-opt", "max-size=1k", "--log-opt",
               "max-file=50", "busybox", "sh", "-c",
               "sleep 1; for i in $(seq 1 150); do echo line-$i-xxxxxxxxxxxxxxxxxxxx; "
               "sleep 0.02; done")
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.run(["docker", "logs", "-f", "frot"], env=env, capture_output=True,
                       timeout=60)
    nums = [int(l.split("-")[1]) for l in p.stdout.decode().split()]
    assert nums == list(range(1, 151))


def test_logs_follow_many_rotations_between_polls(docker_cli, busybox, kedge):
    # Dozens of rotations within one 50 ms poll: the follower reads the
    # files rotated in between instead of skipping them.
    docker_cli("run", "-d", "--name", "frot2", "--log-opt", "max-size=10k", "--log-opt",
               "max-file=100", "busybox", "sh", "-c", "sleep 1; seq 1 10000")
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.run(["docker", "logs", "-f", "frot2"], env=env, capture_output=True,
                       timeout=60)
    assert p.stdout.decode().split() == [str(i) for i in range(1, 10001)]


def test_logs_follow_truncated_in_place(docker_cli, busybox, kedge):
    # max-file=1 truncates the file in place: the follower starts again at
    # its beginning instead of waiting past its old end forever.
    docker_cli("run", "-d", "--name", "ftrunc", "--log-opt", "max-size=1k", "--log-opt",
               "max-file=1", "busybox", "sh", "-c",
               "sleep 1; for i in $(seq 1 100); do echo line-$i-xxxxxxxxxxxxxxxxxxxx; "
               "sleep 0.02; done")
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.run(["docker", "logs", "-f", "ftrunc"], env=env, capture_output=True,
                       timeout=60)
    lines = p.stdout.decode().split()
    assert lines and lines[-1] == "line-100-xxxxxxxxxxxxxxxxxxxx"
    nums = [int(l.split("-")[1]) for l in lines]
    assert nums == sorted(nums)


def test_attach_refused_leaves_daemon_up(docker_cli, busybox, kedge):
    # Attach to a dead container is refused; the refusal used to release
    # the hijacked connection twice (a double free in the daemon).
    import signal
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    with open(os.path.join(kedge.exec_root, cid, "shim.pid")) as f:
        os.kill(int(f.read()), signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline:
        st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]["Status"]
        if st == "dead":
            break
        time.sleep(0.1)
    for _ in range(3):
        # refused before any 101: an HTTP error, never text in the stream
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(kedge.sock)
        s.sendall(b"POST /v1.47/containers/%s/attach?stream=1&stdout=1 HTTP/1.1\r\n"
                  b"Host: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                  b"Content-Length: 0\r\n\r\n" % cid.encode())
        data = b""
        while b"cannot attach" not in data and b"\r\n\r\n{" not in data:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 409"), head
        assert b"cannot attach to a stopped container" in body
        r = kedge.http().request("POST", "/containers/%s/attach?stream=1&stdout=1" % cid)
        assert r.status == 409 and "cannot attach" in r.json()["message"]
    assert kedge.http().request("GET", "/_ping").status == 200
    docker_cli("rm", "-f", cid)


def _attach_then_start(kedge):
    """docker run --rm, by hand: attach with Upgrade, and start the moment
    the 101 is in (as the CLI does); returns the whole stream."""
    h = kedge.http()
    r = h.request("POST", "/v1.47/containers/create",
                  body=json.dumps({"Image": "busybox", "Cmd": ["echo", "hi"],
                                   "AttachStdout": True, "AttachStderr": True,
                                   "HostConfig": {"AutoRemove": True}}),
                  headers={"Content-Type": "application/json"})
    assert r.status == 201, r.data
    cid = r.json()["Id"]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(kedge.sock)
    s.sendall(b"POST /v1.47/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
              b"Host: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
              % cid.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    assert h.request("POST", "/v1.47/containers/%s/start" % cid).status == 204
    h.close()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    s.close()
    return body


@pytest.fixture
def slow_hijack(tmp_path):
    """A daemon that takes a hijacked stream 300 ms after its 101 (the
    window a loaded daemon has), with busybox loaded."""
    from kedgetest.daemon import Daemon
    from kedgetest.images import busybox_archive
    env = dict(os.environ, KEDGE_TEST_HIJACK_DELAY_MS="300")
    d = Daemon(root=str(tmp_path), env=env).start()
    r = d.http(timeout=60).request("POST", "/images/load?quiet=1", body=busybox_archive(),
                                   headers={"Content-Type": "application/x-tar"})
    assert r.status == 200, r.body
    yield d
    assert d.stop() == 0 and not d.crash_lines(), d.read_log()


def test_attach_registered_before_101(slow_hijack):
    # The 101 used to go out before the attach was registered: a start
    # right after it could run, end and remove the container first, and
    # the refusal went as raw text into the stream ("Unrecognized input
    # header: 89" in the CLI) with the output lost.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: _attach_then_start(slow_hijack), range(200)))
    for body in bodies:
        assert demux(body) == [(1, b"hi\n")]


def test_docker_run_rm_parallel_output(docker_cli, busybox, kedge):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        runs = list(pool.map(lambda _: docker_cli("run", "--rm", "busybox", "echo", "hi"),
                             range(100)))
    for r in runs:
        assert r.returncode == 0 and r.stdout == b"hi\n", (r.stdout, r.stderr)
