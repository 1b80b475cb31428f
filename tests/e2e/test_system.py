"""System endpoints through the real docker CLI, docker-py and raw HTTP."""
import json
import os
import socket
import threading
import time

from kedgetest.http import UnixHTTP


def test_docker_version(docker_cli):
    out = docker_cli("version", "--format", "{{json .Server}}").stdout
    server = json.loads(out)
    assert server["Platform"]["Name"] == "kedge"
    engine = [c for c in server["Components"] if c["Name"] == "Engine"][0]
    assert engine["Details"]["MinAPIVersion"] == "1.24"
    assert "podman" not in json.dumps(server["Components"]).lower()
    major, minor = (int(x) for x in server["Version"].split(".")[:2])
    assert (major, minor) >= (1, 6)  # testcontainers-java refuses engines below 1.6.0
    text = docker_cli("version").stdout.decode()
    assert "Server: kedge" in text


def test_docker_info(docker_cli, kedge):
    info = json.loads(docker_cli("info", "--format", "{{json .}}").stdout)
    assert info["NCPU"] == len(os.sched_getaffinity(0))
    with open("/proc/meminfo") as f:
        kb = int(f.readline().split()[1])
    assert info["MemTotal"] == kb * 1024
    assert info["KernelVersion"] == os.uname().release
    assert info["OSType"] == "linux"
    assert info["Driver"] == "overlay2"
    assert info["DockerRootDir"] == kedge.data_root
    assert info["CgroupVersion"] in ("1", "2")
    assert info["Containers"] == 0 and info["Images"] == 0
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    assert len(info["ID"]) == 36
    ncpu = docker_cli("system", "info", "--format", "{{.NCPU}}").stdout.decode().strip()
    assert ncpu == str(os.cpu_count() if not hasattr(os, "sched_getaffinity")
                       else len(os.sched_getaffinity(0)))
    assert "Server Version: " in docker_cli("info").stdout.decode()


def test_info_id_stable_per_data_root(kedge):
    first = kedge.http().request("GET", "/info").json()["ID"]
    kedge.stop()
    kedge.start()
    assert kedge.http().request("GET", "/info").json()["ID"] == first


def test_docker_py(docker_py):
    assert docker_py.ping() is True
    v = docker_py.version()
    assert v["ApiVersion"] == docker_py.api.api_version or v["ApiVersion"] >= "1.41"
    assert v["Components"][0]["Name"] == "Engine"
    info = docker_py.info()
    assert info["NCPU"] >= 1 and info["OSType"] == "linux"


def test_ping_headers(kedge):
    h = kedge.http()
    r = h.request("GET", "/_ping")
    assert r.status == 200 and r.body == b"OK"
    for name in ("Api-Version", "Docker-Experimental", "Ostype", "Builder-Version", "Server"):
        assert r.header(name), name
    assert r.header("Cache-Control") == "no-cache, no-store, must-revalidate"
    assert r.header("Pragma") == "no-cache"
    r = h.request("HEAD", "/_ping")
    assert r.status == 200 and r.body == b""
    assert r.header("Content-Length") == "0"
    assert r.header("Api-Version")


def test_version_prefixes(kedge):
    h = kedge.http()
    for path in ("/v1.24/_ping", "/v1.32/_ping", "/v9.99/_ping", "/v1.51/_ping"):
        r = h.request("GET", path)
        assert (r.status, r.body) == (200, b"OK"), path
    v = h.request("GET", "/v1.32/version").json()
    assert v["ApiVersion"] == kedge.http().request("GET", "/version").json()["ApiVersion"]
    # The same route with and without a prefix.
    a = h.request("GET", "/v1.47/volumes")
    b = h.request("GET", "/volumes")
    assert a.status == b.status == 501
    assert a.json() == b.json()
    assert "GET /volumes" in a.json()["message"]


def test_errors_have_docker_shape(kedge):
    h = kedge.http()
    for method, path in (("GET", "/nope"), ("GET", "/v1.40/nope"), ("POST", "/_ping"),
                         ("DELETE", "/version"), ("GET", "/vx.y/_ping"), ("GET", "/_ping/")):
        r = h.request(method, path)
        assert r.status == 404, (method, path)
        assert r.header("Content-Type") == "application/json"
        assert r.json() == {"message": "page not found"}
        assert r.header("Api-Version")
    r = h.request("GET", "/swarm")
    assert r.status == 503 and r.json()["message"] == "This node is not part of a swarm"
    r = h.request("GET", "/plugins")
    assert r.status == 200 and r.json() == []
    # JSON does not escape slashes.
    assert b"\\/" not in h.request("GET", "/info").body


def test_unimplemented_is_501_never_fake_success(kedge):
    h = kedge.http()
    for method, path in (("POST", "/networks/create"), ("GET", "/volumes"),
                         ("POST", "/build"), ("GET", "/events")):
        r = h.request(method, path, body=b"{}" if method == "POST" else None,
                      headers={"Content-Type": "application/json"})
        assert r.status == 501, path
        assert "not implemented" in r.json()["message"]


def test_keepalive_100_requests(kedge):
    h = kedge.http()
    h.request("GET", "/_ping")
    sock = h.conn.sock
    for _ in range(100):
        r = h.request("GET", "/_ping")
        assert r.status == 200 and r.body == b"OK"
        assert h.conn.sock is sock  # still the same connection


def test_100_concurrent_connections(kedge):
    conns = [UnixHTTP(kedge.sock) for _ in range(100)]
    for c in conns:
        c.conn.connect()
    errors = []

    def worker(c):
        try:
            for _ in range(3):
                r = c.request("GET", "/version")
                assert r.status == 200 and r.json()["Os"] == "linux"
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]


def test_big_bogus_body_rejected(kedge):
    body = b"x" * (10 * 1024 * 1024)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(kedge.sock)
    s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    try:
        s.sendall(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon may hang up once it has answered
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    s.close()
    # Chunked, so no Content-Length to refuse up front: read and discarded.
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(kedge.sock)
    s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n"
              b"Content-Type: application/json\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(160):
        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    s.sendall(b"0\r\n\r\n")
    reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"message"' in reply or b"message" in s.recv(65536)
    s.close()
    assert kedge.http().request("GET", "/_ping").status == 200


def test_slow_client_does_not_block_others(kedge):
    slow = socket.socket(socket.AF_UNIX)
    slow.connect(kedge.sock)
    slow.sendall(b"GET /_ping HTTP/1.1\r\nHo")  # and then nothing for a while
    t0 = time.monotonic()
    for _ in range(20):
        assert kedge.http(timeout=2).request("GET", "/_ping").status == 200
    assert time.monotonic() - t0 < 5
    slow.sendall(b"st: d\r\n\r\n")
    assert slow.recv(4096).startswith(b"HTTP/1.1 200")
    slow.close()


def test_malformed_request_line(kedge):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(kedge.sock)
    s.sendall(b"GARBAGE\r\n\r\n")
    reply = s.recv(4096)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
    s.close()
    assert kedge.http().request("GET", "/_ping").status == 200
