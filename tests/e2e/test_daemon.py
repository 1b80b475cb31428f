"""The daemon process: flags, socket safety, data-root lock, signals."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from kedgetest.daemon import KEDGE_BIN, Daemon


def run_daemon(tmp_path, *args, timeout=10):
    """Runs a daemon expected to fail at start; returns (rc, output)."""
    p = subprocess.run([KEDGE_BIN, "daemon", *args], capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode()


def base_args(tmp_path, sock=None):
    return ["-H", "unix://" + (sock or str(tmp_path / "d.sock")), "--data-root",
            str(tmp_path / "data"), "--exec-root", str(tmp_path / "exec")]


def test_help_and_version():
    out = subprocess.run([KEDGE_BIN, "--help"], capture_output=True, check=True).stdout.decode()
    assert "daemon" in out and "version" in out
    out = subprocess.run([KEDGE_BIN, "version"], capture_output=True, check=True).stdout.decode()
    assert "kedge version" in out
    out = subprocess.run([KEDGE_BIN, "daemon", "--help"], capture_output=True,
                         check=True).stdout.decode()
    for flag in ("--host", "--data-root", "--exec-root", "--log-level", "--config-file"):
        assert flag in out


@pytest.mark.parametrize("kind", ["file", "dir", "symlink"])
def test_socket_path_occupied(tmp_path, kind):
    sock = tmp_path / "d.sock"
    target = tmp_path / "precious"
    target.write_text("keep me")
    if kind == "file":
        sock.write_text("not a socket")
    elif kind == "dir":
        sock.mkdir()
    else:
        sock.symlink_to(target)
    rc, out = run_daemon(tmp_path, *base_args(tmp_path))
    assert rc != 0
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert str(sock) in out and "refusing to replace" in out
    assert os.path.lexists(sock)  # left untouched
    assert target.read_text() == "keep me"
    if kind == "file":
        assert sock.read_text() == "not a socket"


def test_live_daemon_on_socket(kedge, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    rc, out = run_daemon(other, "-H", kedge.host, "--data-root", str(other / "data"),
                         "--exec-root", str(other / "exec"))
    assert rc != 0
    assert "another daemon is listening on" in out
    assert kedge.http().request("GET", "/_ping").status == 200


def test_stale_socket_replaced(tmp_path):
    sock = tmp_path / "d.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock))
    s.close()  # bound but nobody listens: stale
    d = Daemon(root=str(tmp_path)).start()
    try:
        assert d.http().request("GET", "/_ping").status == 200
    finally:
        assert d.stop() == 0


def test_second_daemon_same_data_root(kedge, tmp_path):
    rc, out = run_daemon(tmp_path, "-H", "unix://" + str(tmp_path / "second.sock"),
                         "--data-root", kedge.data_root, "--exec-root", str(tmp_path / "x"))
    assert rc != 0
    assert "in use by another kedge daemon" in out
    assert not os.path.exists(tmp_path / "second.sock")


def test_unwritable_data_root(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out = run_daemon(tmp_path, "-H", "unix://" + str(tmp_path / "d.sock"),
                         "--data-root", str(blocker / "data"), "--exec-root",
                         str(tmp_path / "exec"))
    assert rc != 0
    assert "cannot create data root" in out
    assert blocker.read_text() == "x"
    assert not os.path.exists(tmp_path / "d.sock")
    rc, out = run_daemon(tmp_path, "-H", "unix://" + str(tmp_path / "d.sock"),
                         "--data-root", "/proc/kedge-data", "--exec-root", str(tmp_path / "exec"))
    assert rc != 0 and "/proc/kedge-data" in out


@pytest.mark.parametrize("which,limit", [("--data-root", 3072), ("--exec-root", 200)])
def test_root_too_long_refused(tmp_path, which, limit):
    # A root longer than kedge can build its paths under is refused at start,
    # by name, and nothing is created (no path is silently truncated).
    long_root = str(tmp_path) + "/" + "/".join(["d" * 200] * (limit // 200 + 1))
    roots = {"--data-root": str(tmp_path / "data"), "--exec-root": str(tmp_path / "exec")}
    roots[which] = long_root
    rc, out = run_daemon(tmp_path, "-H", "unix://" + str(tmp_path / "d.sock"),
                         "--data-root", roots["--data-root"], "--exec-root", roots["--exec-root"])
    assert rc != 0
    assert "%s is %d bytes long: kedge takes at most %d" % (
        which[2:].replace("-", " "), len(long_root), limit) in out, out
    assert not os.path.exists(tmp_path / "d.sock")
    assert not os.path.exists(tmp_path / ("d" * 200))


def test_malformed_config_file(tmp_path):
    cfg = tmp_path / "daemon.json"
    cfg.write_text('{"log-level": "debug",')
    rc, out = run_daemon(tmp_path, *base_args(tmp_path), "--config-file", str(cfg))
    assert rc != 0
    assert len(out.strip().splitlines()) == 1, out
    assert "cannot load config file" in out and str(cfg) in out
    assert cfg.read_text() == '{"log-level": "debug",'
    rc, out = run_daemon(tmp_path, *base_args(tmp_path), "--bogus-flag")
    assert rc != 0 and "unknown option" in out


def test_config_file_and_flags(tmp_path):
    cfg = tmp_path / "daemon.json"
    cfg.write_text(json.dumps({"hosts": ["unix://" + str(tmp_path / "from-file.sock")],
                               "data-root": str(tmp_path / "file-data"),
                               "log-level": "warn"}))
    d = Daemon(root=str(tmp_path))
    d.extra_args = ["--config-file", str(cfg)]
    d.start()
    try:
        # -H on the command line wins over "hosts" in the file.
        assert not os.path.exists(tmp_path / "from-file.sock")
        info = d.http().request("GET", "/info").json()
        assert info["DockerRootDir"] == d.data_root  # --data-root flag wins
    finally:
        assert d.stop() == 0


def test_socket_mode(kedge):
    st = os.stat(kedge.sock)
    import grp
    try:
        grp.getgrnam("kedge")
        assert st.st_mode & 0o777 == 0o660
    except KeyError:
        assert st.st_mode & 0o777 == 0o600


def test_sigterm_finishes_inflight_and_removes_socket(tmp_path):
    d = Daemon(root=str(tmp_path)).start()
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.sock)
    s.sendall(b"GET /info HTTP/1.1\r\nHost: d\r\n\r\n")
    reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200")
    assert d.stop(signal.SIGINT) == 0
    assert not os.path.exists(d.sock)
    assert "daemon stopped" in d.read_log()


def test_sighup_reloads_log_level(tmp_path):
    cfg = tmp_path / "daemon.json"
    cfg.write_text(json.dumps({"log-level": "info"}))
    d = Daemon(root=str(tmp_path), extra_args=["--config-file", str(cfg)])
    d.start()
    try:
        cfg.write_text(json.dumps({"log-level": "error"}))
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "log level is now error" not in d.read_log() and time.time() < deadline:
            time.sleep(0.05)
        assert "log level is now error" in d.read_log()
        assert d.http().request("GET", "/_ping").status == 200
    finally:
        assert d.stop() == 0


def test_tmp_cleared_at_start(tmp_path):
    d = Daemon(root=str(tmp_path)).start()
    assert d.stop() == 0
    leftover = tmp_path / "data" / "tmp" / "half-written"
    leftover.write_text("x")
    d.start()
    try:
        assert not leftover.exists()
        assert os.path.exists(tmp_path / "data" / "kedge.db")
    finally:
        assert d.stop() == 0


def test_socket_group_kedge(tmp_path):
    import grp
    created = False
    try:
        grp.getgrnam("kedge")
    except KeyError:
        if subprocess.run(["groupadd", "-f", "kedge"]).returncode != 0:
            pytest.skip("cannot create a 'kedge' group here")
        created = True
    try:
        d = Daemon(root=str(tmp_path)).start()
        st = os.stat(d.sock)
        assert st.st_mode & 0o777 == 0o660
        assert st.st_gid == grp.getgrnam("kedge").gr_gid
        assert d.stop() == 0
    finally:
        if created:
            subprocess.run(["groupdel", "kedge"])


def test_sqlite_in_wal_mode(kedge, busybox):
    """The store runs SQLite in WAL mode (readers never wait for the writer,
    and a commit is one append): the file header says so, SQLite itself says
    so to another reader, and the -wal file exists while the daemon runs."""
    import sqlite3
    db = os.path.join(kedge.data_root, "kedge.db")
    with open(db, "rb") as f:
        header = f.read(100)
    assert header[:16] == b"SQLite format 3\0"
    assert header[18:20] == b"\x02\x02", "file format is not WAL (bytes 18-19: %r)" % header[18:20]
    conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 1
    finally:
        conn.close()
    assert os.path.exists(db + "-wal")
    assert kedge.http().request("GET", "/_ping").status == 200


def test_wait_condition_parsed(kedge, busybox):
    """condition= of POST /containers/{id}/wait, on a container that exists:
    an unknown one is 400 in dockerd's words; not-running answers at once
    for a created container; removed waits until the container is gone."""
    import threading
    h = kedge.http()
    jh = {"Content-Type": "application/json"}
    r = h.request("POST", "/containers/create?name=waiter", headers=jh,
                  body=json.dumps({"Image": busybox, "Cmd": ["true"]}).encode())
    assert r.status == 201, r.body
    for bad in ("bogus", "Removed", "not-running "):
        r = h.request("POST", "/containers/waiter/wait?condition=" + bad.replace(" ", "%20"))
        assert r.status == 400, (bad, r.status, r.body)
        assert r.json()["message"] == 'invalid condition: "%s"' % bad
    r = h.request("POST", "/containers/waiter/wait?condition=not-running")
    assert r.status == 200 and r.json()["StatusCode"] == 0
    done = []

    def wait_removed():
        done.append(kedge.http(timeout=30).request("POST", "/containers/waiter/wait?condition=removed"))

    t = threading.Thread(target=wait_removed)
    t.start()
    time.sleep(0.5)
    assert not done, "wait?condition=removed answered before the container was removed"
    assert h.request("DELETE", "/containers/waiter").status == 204
    t.join(30)
    assert done and done[0].status == 200 and done[0].json()["StatusCode"] == 0
