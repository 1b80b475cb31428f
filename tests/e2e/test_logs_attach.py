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
    data = os.urandom(size)
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
