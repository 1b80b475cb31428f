"""docker run and the container life cycle through the real docker CLI."""
import json
import os
import pty
import select
import signal
import socket
import subprocess
import time

import pytest


def container_cgroups(cid):
    """Every cgroup directory of the container, on v1 (one per hierarchy)
    or v2."""
    import glob
    return (glob.glob("/sys/fs/cgroup/*/kedge/%s" % cid) +
            glob.glob("/sys/fs/cgroup/kedge/%s" % cid))


def cid_of(docker_cli, name):
    return docker_cli("inspect", "--format", "{{.Id}}", name).stdout.decode().strip()


def test_run_rm_echo(docker_cli, busybox, kedge):
    p = docker_cli("run", "--rm", "busybox", "echo", "hello")
    assert p.stdout == b"hello\n"
    assert "no bridge networking" in p.stderr.decode()  # the create warning
    # --rm leaves nothing: no record, no directory, no run dir, no mount.
    assert docker_cli("ps", "-aq").stdout == b""
    assert os.listdir(os.path.join(kedge.data_root, "containers")) == []
    assert not os.listdir(kedge.exec_root) if os.path.isdir(kedge.exec_root) else True
    with open("/proc/self/mountinfo") as f:
        assert kedge.data_root not in f.read()


@pytest.mark.parametrize("code", [0, 1, 3])
def test_exit_codes(docker_cli, busybox, code):
    p = docker_cli("run", "--rm", "busybox", "sh", "-c", "exit %d" % code, check=False)
    assert p.returncode == code


def test_kill_gives_137(docker_cli, busybox):
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    assert len(cid) == 64
    docker_cli("kill", cid)
    assert docker_cli("wait", cid).stdout.decode().strip() == "137"
    state = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    assert state["FinishedAt"] != "0001-01-01T00:00:00Z"


def test_stop_ignoring_sigterm_is_killed_after_timeout(docker_cli, busybox):
    # sh as pid 1 ignores SIGTERM: stop must fall back to SIGKILL after -t.
    docker_cli("run", "-d", "--name", "stubborn", "busybox", "sh", "-c", "sleep 1000")
    t0 = time.monotonic()
    docker_cli("stop", "-t", "1", "stubborn")
    took = time.monotonic() - t0
    assert 0.9 < took < 6, took
    assert "Exited (137)" in docker_cli("ps", "-a", "--format", "{{.Status}}").stdout.decode()
    # stop of a stopped container: 304, which the CLI treats as success
    docker_cli("stop", "stubborn")


def test_stop_timeout_flag_and_trap(docker_cli, busybox):
    docker_cli("run", "-d", "--name", "polite", "--stop-timeout", "5", "busybox", "sh", "-c",
               "trap 'exit 7' TERM; while true; do sleep 0.1; done")
    time.sleep(0.3)
    docker_cli("stop", "polite")
    assert docker_cli("inspect", "--format", "{{.State.ExitCode}}",
                      "polite").stdout.decode().strip() == "7"


def test_run_options(docker_cli, busybox, tmp_path):
    (tmp_path / "hostfile").write_text("from-host\n")
    os.chmod(tmp_path, 0o755)  # readable by uid 1000 inside
    script = ("echo $FOO; pwd; id -u; id -g; hostname; cat /host/hostfile; "
              "touch /host/new 2>/dev/null || echo host-ro; "
              "touch /root-file 2>/dev/null || echo root-ro; "
              "touch /scratch/x && echo tmpfs-rw")
    out = docker_cli("run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000:1000",
                     "--hostname", "myhost", "--read-only", "--tmpfs", "/scratch",
                     "-v", "%s:/host:ro" % tmp_path, "--entrypoint", "/bin/sh", "busybox",
                     "-c", script).stdout.decode().split("\n")
    assert out[:9] == ["bar", "/tmp", "1000", "1000", "myhost", "from-host", "host-ro",
                       "root-ro", "tmpfs-rw"]


def test_user_by_name_from_image_passwd(docker_cli, busybox):
    out = docker_cli("run", "--rm", "-u", "nobody", "busybox", "id").stdout.decode()
    assert out.startswith("uid=65534(nobody)")
    p = docker_cli("run", "--rm", "-u", "nosuchuser", "busybox", "id", check=False)
    assert p.returncode != 0
    assert "unable to find user nosuchuser" in p.stderr.decode()


def test_init_and_labels_and_name(docker_cli, busybox):
    out = docker_cli("run", "--rm", "--init", "busybox", "cat", "/proc/1/cmdline").stdout
    assert out.split(b"\0")[0] == b"/sbin/docker-init"
    docker_cli("run", "-d", "--name", "lab", "-l", "a=b", "-l", "c=d", "busybox", "true")
    docker_cli("wait", "lab")
    labels = json.loads(docker_cli("inspect", "--format", "{{json .Config.Labels}}",
                                   "lab").stdout)
    assert labels == {"a": "b", "c": "d"}
    out = docker_cli("ps", "-a", "--filter", "label=a=b", "--format", "{{.Names}}").stdout
    assert out.decode().strip() == "lab"
    assert docker_cli("ps", "-a", "--filter", "label=a=x", "-q").stdout == b""


def test_resources_in_cgroup(docker_cli, busybox):
    cid = docker_cli("run", "-d", "--memory", "64m", "--pids-limit", "50", "busybox",
                     "sleep", "100").stdout.decode().strip()
    base = "/sys/fs/cgroup"
    try:
        if os.path.exists(base + "/cgroup.controllers"):
            version = 2
            files = {"%s/kedge/%s/memory.max" % (base, cid): str(64 * 1024 * 1024),
                     "%s/kedge/%s/pids.max" % (base, cid): "50"}
        elif os.path.exists(base + "/memory/memory.limit_in_bytes"):
            version = 1  # the hybrid CI machines
            files = {"%s/memory/kedge/%s/memory.limit_in_bytes" % (base, cid): str(64 << 20),
                     "%s/pids/kedge/%s/pids.max" % (base, cid): "50"}
        else:
            pytest.fail("no cgroup v2 root and no v1 memory hierarchy under %s" % base)
        print("checked cgroup v%d: %s" % (version, ", ".join(sorted(files))))
        for path, want in files.items():
            with open(path) as f:
                assert f.read().strip() == want, path
    finally:
        docker_cli("rm", "-f", cid)
    assert container_cgroups(cid) == []


def test_stdin_pipe(docker_cli, busybox):
    p = docker_cli("run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo done",
                   input=b"one\ntwo\n")
    assert p.stdout == b"one\ntwo\ndone\n"


def test_stdout_stderr_separate(docker_cli, busybox):
    p = docker_cli("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
    assert p.stdout == b"out\n"
    assert b"err\n" in p.stderr


def _pty_read(fd, timeout, until=None):
    """Reads a pty until it closes, until `until` shows up, or timeout."""
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    return out


def _pty_run(args, send, timeout=20):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("docker", ["docker", *args], os.environ)
    out = _pty_read(fd, timeout, until=b"# ")
    os.write(fd, send)
    out += _pty_read(fd, timeout)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), out


def test_interactive_tty(kedge, busybox, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", kedge.host)
    code, out = _pty_run(["run", "-it", "--rm", "busybox", "sh"],
                         b"echo hi-$((40+2)); tty; exit 5\r")
    assert code == 5, out
    assert b"hi-42" in out and b"/dev/pts/0" in out


def test_logs_follow_tail_timestamps(docker_cli, busybox, kedge):
    docker_cli("run", "-d", "--name", "talker", "busybox", "sh", "-c",
               "for i in 1 2 3; do echo line$i; sleep 0.3; done; echo bye >&2")
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.run(["docker", "logs", "-f", "talker"], env=env, capture_output=True,
                       timeout=20)
    assert p.stdout == b"line1\nline2\nline3\n"
    assert p.stderr == b"bye\n"
    assert docker_cli("logs", "--tail", "1", "talker").stdout == b""
    assert docker_cli("logs", "--tail", "2", "talker").stdout == b"line3\n"
    ts = docker_cli("logs", "-t", "talker").stdout.decode().splitlines()[0]
    assert ts.endswith(" line1") and ts[4] == "-" and ts[10] == "T" and ts[29] == "Z"


def test_attach_and_detach_keys(docker_cli, busybox, kedge, monkeypatch):
    docker_cli("run", "-dit", "--name", "att", "busybox", "sh")
    monkeypatch.setenv("DOCKER_HOST", kedge.host)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("docker", ["docker", "attach", "att"], os.environ)
    time.sleep(1)
    os.write(fd, b"echo attached-$((2*3))\r")
    time.sleep(0.5)
    os.write(fd, b"\x10\x11")  # ctrl-p ctrl-q
    out = _pty_read(fd, 10)
    os.waitpid(pid, 0)
    assert b"attached-6" in out
    # detached, not stopped
    assert docker_cli("inspect", "--format", "{{.State.Running}}", "att").stdout == b"true\n"
    docker_cli("rm", "-f", "att")


def test_ps_and_inspect_shapes(docker_cli, busybox, kedge):
    docker_cli("create", "--name", "shape", "busybox", "echo", "a b")
    c = kedge.http().request("GET", "/containers/json?all=1").json()[0]
    assert c["Names"] == ["/shape"] and c["State"] == "created" and c["Status"] == "Created"
    # moby quotes an argument with a space (daemon/container/view.go)
    assert c["Command"] == "echo 'a b'" and isinstance(c["Created"], int)
    assert c["Image"] == "busybox"
    i = kedge.http().request("GET", "/containers/shape/json").json()
    assert i["Name"] == "/shape" and i["Path"] == "echo" and i["Args"] == ["a b"]
    assert i["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
    assert i["Image"].startswith("sha256:") and len(i["Id"]) == 64
    assert i["Config"]["Cmd"] == ["echo", "a b"]
    assert i["Config"]["Env"][0].startswith("PATH=") or i["Config"]["Env"] == []
    assert i["NetworkSettings"]["Networks"]
    assert i["LogPath"].endswith("-json.log")
    # prefix lookup and ambiguity
    short = i["Id"][:12]
    assert kedge.http().request("GET", "/containers/%s/json" % short).status == 200
    docker_cli("start", "-a", "shape")
    assert docker_cli("logs", "shape").stdout == b"a b\n"


def test_rename_and_name_conflict(docker_cli, busybox, kedge):
    docker_cli("create", "--name", "one", "busybox", "true")
    p = docker_cli("create", "--name", "one", "busybox", "true", check=False)
    assert p.returncode != 0
    msg = p.stderr.decode()
    assert 'Conflict. The container name "/one" is already in use by container' in msg
    docker_cli("rename", "one", "two")
    assert docker_cli("ps", "-a", "--format", "{{.Names}}").stdout == b"two\n"
    r = kedge.http().request("POST", "/containers/create?name=bad%20name", body=b'{"Image":"busybox"}',
                             headers={"Content-Type": "application/json"})
    assert r.status == 400 and "Invalid container name" in r.json()["message"]


def test_bad_inputs(docker_cli, busybox, kedge):
    h = kedge.http()
    jh = {"Content-Type": "application/json"}
    r = h.request("POST", "/containers/create", body=b'{"Image":"nosuch:1","Cmd":["true"]}',
                  headers=jh)
    assert r.status == 404 and r.json()["message"].startswith("No such image: nosuch:1")
    r = h.request("POST", "/containers/create", body=b'{"Image": "busybox",', headers=jh)
    assert r.status == 400 and "invalid JSON" in r.json()["message"]
    r = h.request("POST", "/containers/create", body=b'{"Image":"busybox","Cmd":"true"}',
                  headers=jh)
    assert r.status == 400
    r = h.request("POST", "/containers/create",
                  body=b'{"Image":"busybox","HostConfig":{"Memory":1000}}', headers=jh)
    assert r.status == 400 and "Minimum memory limit" in r.json()["message"]
    assert h.request("GET", "/containers/json").json() == []  # nothing was created
    assert os.listdir(os.path.join(kedge.data_root, "containers")) == []
    p = docker_cli("run", "--rm", "busybox", "nosuch", check=False)
    assert p.returncode == 127
    assert 'exec: "nosuch": executable file not found in $PATH' in p.stderr.decode()
    docker_cli("create", "--name", "kk", "busybox", "sleep", "100")
    r = h.request("POST", "/containers/kk/kill?signal=SIGNOPE")
    assert r.status == 400 and "Invalid signal" in r.json()["message"]
    r = h.request("POST", "/containers/kk/kill")
    assert r.status == 409 and "is not running" in r.json()["message"]
    docker_cli("rm", "kk")
    r = h.request("POST", "/containers/kk/start")
    assert r.status == 404 and r.json()["message"] == "No such container: kk"
    r = h.request("POST", "/containers/kk/wait?condition=bogus")
    assert r.status == 404


def test_start_when_running_is_304_and_rm_running(docker_cli, busybox, kedge):
    docker_cli("run", "-d", "--name", "rr", "busybox", "sleep", "100")
    assert kedge.http().request("POST", "/containers/rr/start").status == 304
    p = docker_cli("rm", "rr", check=False)
    assert p.returncode != 0 and "stop the container before removing" in p.stderr.decode()
    docker_cli("rm", "-f", "rr")
    assert docker_cli("ps", "-aq").stdout == b""


def test_restart_and_prune(docker_cli, busybox):
    docker_cli("run", "-d", "--name", "rs", "busybox", "sleep", "100")
    first = docker_cli("inspect", "--format", "{{.State.StartedAt}}", "rs").stdout
    docker_cli("restart", "-t", "0", "rs")
    assert docker_cli("inspect", "--format", "{{.State.Running}}", "rs").stdout == b"true\n"
    assert docker_cli("inspect", "--format", "{{.State.StartedAt}}", "rs").stdout != first
    docker_cli("run", "--name", "done1", "busybox", "true")
    out = docker_cli("container", "prune", "-f").stdout.decode()
    assert "Total reclaimed space" in out
    assert docker_cli("ps", "-a", "--format", "{{.Names}}").stdout == b"rs\n"
    docker_cli("rm", "-f", "rs")


def test_daemon_kill9_keeps_containers(docker_cli, busybox, kedge):
    names = ["keep%d" % i for i in range(5)]
    for n in names:
        docker_cli("run", "-d", "--name", n, "busybox", "sh", "-c",
                   "echo hello-%s; sleep 1000" % n)
    docker_cli("run", "-d", "--name", "shortlived", "busybox", "sh", "-c", "sleep 1; exit 4")
    kedge.stop(signal.SIGKILL)
    time.sleep(1.5)  # shortlived exits while the daemon is down
    kedge.start()
    running = docker_cli("ps", "--format", "{{.Names}}").stdout.decode().split()
    assert sorted(running) == sorted(names)
    for n in names:
        assert docker_cli("logs", n).stdout.decode() == "hello-%s\n" % n
    assert docker_cli("inspect", "--format", "{{.State.ExitCode}}",
                      "shortlived").stdout == b"4\n"
    docker_cli("stop", "-t", "0", names[0])
    assert "Exited (137)" in docker_cli("ps", "-a", "--filter", "name=keep0",
                                        "--format", "{{.Status}}").stdout.decode()
    docker_cli("rm", "-f", *names)
    assert docker_cli("ps", "-q").stdout == b""


def test_shim_killed_marks_dead(docker_cli, busybox, kedge):
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    with open(os.path.join(kedge.exec_root, cid, "shim.pid")) as f:
        shim = int(f.read())
    os.kill(shim, signal.SIGKILL)
    deadline = time.time() + 10
    state = {}
    while time.time() < deadline:
        state = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
        if state["Status"] != "running":
            break
        time.sleep(0.1)
    assert state["Status"] == "dead" and "shim" in state["Error"]
    # the daemon removed what the shim would have: no cgroup stays behind
    assert container_cgroups(cid) == []
    docker_cli("rm", "-f", cid)


def test_docker_py(docker_py, busybox):
    out = docker_py.containers.run("busybox", ["echo", "from-py"], remove=True)
    assert out == b"from-py\n"
    c = docker_py.containers.run("busybox", ["sh", "-c", "echo a; sleep 0.5; echo b"],
                                 detach=True)
    lines = b"".join(c.logs(stream=True, follow=True))
    assert lines == b"a\nb\n"
    assert c.wait()["StatusCode"] == 0
    c.reload()
    assert c.status == "exited"
    c.remove()
    c = docker_py.containers.run("busybox", ["sleep", "100"], detach=True)
    c.stop(timeout=1)
    assert c.wait()["StatusCode"] == 137
    c.remove()
    assert docker_py.containers.list(all=True) == []
    import docker
    with pytest.raises(docker.errors.ImageNotFound):  # 404 + "No such image" text
        docker_py.containers.create("nosuch:1", ["true"])


def test_log_rotation_read_in_order(docker_cli, busybox, kedge):
    docker_cli("run", "-d", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt",
               "max-file=3", "busybox", "sh", "-c",
               "for i in $(seq 1 100); do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; done")
    docker_cli("wait", "rot")
    cid = cid_of(docker_cli, "rot")
    files = sorted(os.listdir(os.path.join(kedge.data_root, "containers", cid)))
    assert "%s-json.log.1" % cid in files and "%s-json.log.2" % cid in files
    assert "%s-json.log.3" % cid not in files
    lines = docker_cli("logs", "rot").stdout.decode().split()
    nums = [int(l.split("-")[1]) for l in lines]
    assert nums == list(range(nums[0], 101)) and nums[0] > 1  # in order, oldest dropped


def test_signal_proxy(docker_cli, busybox, kedge):
    env = dict(os.environ, DOCKER_HOST=kedge.host)
    p = subprocess.Popen(["docker", "run", "--name", "sig", "busybox", "sh", "-c",
                          "trap 'echo got-usr1; exit 9' USR1; while true; do sleep 0.1; done"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        if docker_cli("ps", "-q", "--filter", "name=sig").stdout.strip():
            break
        time.sleep(0.1)
    time.sleep(0.3)
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=20)
    assert p.returncode == 9 and out == b"got-usr1\n"


def test_ulimits_clamped(docker_cli, busybox):
    out = docker_cli("run", "--rm", "--ulimit", "nofile=1024:2048", "busybox", "sh", "-c",
                     "ulimit -n; ulimit -Hn").stdout.decode().split()
    assert out == ["1024", "2048"]
    # Docker's default (1048576) is clamped to what the host allows, not refused.
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    out = docker_cli("run", "--rm", "busybox", "sh", "-c", "ulimit -n").stdout.decode().strip()
    assert int(out) == min(1048576, hard)


def test_attach_without_upgrade_streams_output(docker_cli, busybox, kedge):
    # dockerode's docker.run(): create, attach without Upgrade, start.
    docker_cli("create", "--name", "plain", "busybox", "sh", "-c", "echo one; echo two >&2")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(kedge.sock)
    s.sendall(b"POST /v1.41/containers/plain/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
              b"Host: d\r\nContent-Length: 0\r\n\r\n")
    time.sleep(0.3)
    assert kedge.http().request("POST", "/containers/plain/start").status == 204
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if data.endswith(b"0\r\n\r\n"):
            break
    head, _, chunked = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"application/vnd.docker.raw-stream" in head
    body = b""
    while chunked:  # undo the chunked transfer coding
        size, _, rest = chunked.partition(b"\r\n")
        n = int(size, 16)
        body, chunked = body + rest[:n], rest[n + 2:]
        if n == 0:
            break
    # Docker's multiplexed frames
    assert b"\x01\x00\x00\x00\x00\x00\x00\x04one\n" in body
    assert b"\x02\x00\x00\x00\x00\x00\x00\x04two\n" in body


def test_rm_force_running_leaves_no_row(docker_cli, busybox, kedge):
    import sqlite3
    for i in range(5):
        docker_cli("run", "-d", "--name", "gone%d" % i, "busybox", "sleep", "100")
        docker_cli("rm", "-f", "gone%d" % i)
    db = sqlite3.connect("file:%s/kedge.db?mode=ro" % kedge.data_root, uri=True)
    assert db.execute("SELECT count(*) FROM containers").fetchone()[0] == 0
    db.close()
    docker_cli("rmi", "busybox")  # nothing uses it any more
    kedge.stop()
    kedge.start()  # and nothing comes back after a restart
    assert docker_cli("ps", "-aq").stdout == b""


def test_privileged_gets_every_capability_the_host_has(docker_cli, busybox):
    with open("/proc/self/status") as f:
        host = [l.split()[1] for l in f if l.startswith("CapBnd:")][0]
    out = docker_cli("run", "--rm", "--privileged", "busybox", "sh", "-c",
                     "grep CapEff /proc/self/status").stdout.decode().split()[1]
    assert out == host
    out = docker_cli("run", "--rm", "busybox", "sh", "-c",
                     "grep CapEff /proc/self/status").stdout.decode().split()[1]
    assert int(out, 16) == 0xa80425fb  # Docker's default set
    out = docker_cli("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "busybox",
                     "sh", "-c", "grep CapEff /proc/self/status").stdout.decode().split()[1]
    assert int(out, 16) == 1 << 12


def test_info_counts_containers_and_images(docker_cli, busybox):
    docker_cli("run", "-d", "--name", "up", "busybox", "sleep", "100")
    docker_cli("create", "--name", "idle", "busybox", "true")
    info = json.loads(docker_cli("info", "--format", "{{json .}}").stdout)
    assert (info["Containers"], info["ContainersRunning"], info["ContainersStopped"],
            info["Images"]) == (2, 1, 1, 1)
    docker_cli("rm", "-f", "up", "idle")
