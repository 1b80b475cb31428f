"""The built-in runtime and `kedge shim` on their own (no daemon): a busybox
rootfs in tmp, a config.json like the engine writes, and the shim's run
directory files (container.pid, shim.pid, exit.json, the json-file log)."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest

BUSYBOX = "/bin/busybox"
KEDGE = os.environ.get("KEDGE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build-rt", "kedge")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the runtime needs root"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="needs busybox-static"),
]

DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def make_rootfs(path):
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "root"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(path, "bin", "busybox"))
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
    for applet in out:
        if applet != "busybox":
            os.symlink("busybox", os.path.join(path, "bin", applet))
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")


@pytest.fixture(scope="session")
def busybox_lower(tmp_path_factory):
    p = tmp_path_factory.mktemp("busybox") / "rootfs"
    make_rootfs(str(p))
    return str(p)


def spec(args, hostname="kedge-test", terminal=False, memory=None, env=None, mounts=(),
         cgroup=None, devices=None):
    s = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {k: DEFAULT_CAPS for k in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}],
            "noNewPrivileges": False,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": hostname,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["ro", "nosuid", "noexec", "nodev"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]},
            *mounts,
        ],
        "linux": {
            "namespaces": [{"type": t} for t in
                           ("mount", "network", "uts", "pid", "ipc", "cgroup")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
            "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if cgroup:
        s["linux"]["cgroupsPath"] = cgroup
    if memory:
        s["linux"]["resources"] = {"memory": {"limit": memory}}
    if devices is not None:
        s["linux"].setdefault("resources", {})["devices"] = devices
    return s


class Shim:
    def __init__(self, tmp, lower, overlay=True):
        self.tmp = tmp
        self.bundle = os.path.join(tmp, "bundle")
        self.run = os.path.join(tmp, "run")
        self.log = os.path.join(tmp, "ctr-json.log")
        os.makedirs(os.path.join(self.bundle, "rootfs"), exist_ok=True)
        os.makedirs(self.run, exist_ok=True)
        self.lower = lower
        self.overlay = overlay

    def write_spec(self, s):
        if self.overlay:
            for d in ("upper", "work"):
                os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
            s["annotations"] = {
                "org.kedge.rootfs.lowerdirs": self.lower,
                "org.kedge.rootfs.upperdir": os.path.join(self.tmp, "upper"),
                "org.kedge.rootfs.workdir": os.path.join(self.tmp, "work"),
            }
        else:
            os.rmdir(os.path.join(self.bundle, "rootfs"))
            shutil.copytree(self.lower, os.path.join(self.bundle, "rootfs"), symlinks=True)
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(s, f)

    def start(self, *extra, wrapper=None):
        cmd = [KEDGE, "shim", "--id", "test", "--bundle", self.bundle, "--run-dir", self.run,
               "--log-path", self.log, *extra]
        if wrapper:
            cmd = wrapper + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)

    def wait_exit(self, timeout=20):
        path = os.path.join(self.run, "exit.json")
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(path):
                with open(path) as f:
                    return json.load(f)
            time.sleep(0.02)
        raise AssertionError("no exit.json after %ss; shim.log:\n%s" % (timeout, self.shim_log()))

    def shim_log(self):
        p = os.path.join(self.run, "shim.log")
        return open(p).read() if os.path.exists(p) else ""

    def pid(self, name="container.pid"):
        with open(os.path.join(self.run, name)) as f:
            return int(f.read())

    def log_lines(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def output(self):
        return "".join(e["log"] for e in self.log_lines())


@pytest.fixture
def shim(tmp_path, busybox_lower):
    s = Shim(str(tmp_path), busybox_lower)
    yield s
    # Never leave a container behind, whatever the test did.
    try:
        os.kill(s.pid(), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def run_to_exit(shim, args, **kw):
    shim.write_spec(spec(args, **kw))
    p = shim.start()
    assert p.returncode == 0, p.stderr + shim.shim_log()
    return shim.wait_exit()


def test_echo_lands_in_json_file_log(shim):
    ex = run_to_exit(shim, ["echo", "hi"])
    assert ex["ExitCode"] == 0
    lines = shim.log_lines()
    assert lines[0]["log"] == "hi\n"
    assert lines[0]["stream"] == "stdout"
    assert len(lines[0]["time"]) == len("2026-11-23T12:00:00.123456789Z")
    assert lines[0]["time"].endswith("Z")
    assert list(lines[0]) == ["log", "stream", "time"]


def test_stderr_stream(shim):
    run_to_exit(shim, ["sh", "-c", "echo oops >&2"])
    assert [(e["log"], e["stream"]) for e in shim.log_lines()] == [("oops\n", "stderr")]


def test_plain_directory_rootfs(tmp_path, busybox_lower):
    s = Shim(str(tmp_path), busybox_lower, overlay=False)
    ex = run_to_exit(s, ["sh", "-c", "echo plain; touch /x"])
    assert ex["ExitCode"] == 0
    assert s.output() == "plain\n"


def test_nonzero_exit_code(shim):
    ex = run_to_exit(shim, ["sh", "-c", "exit 3"])
    assert ex["ExitCode"] == 3
    assert ex["Signal"] == 0
    assert ex["FinishedAt"].endswith("Z")


def test_hostname(shim):
    run_to_exit(shim, ["hostname"], hostname="box-42")
    assert shim.output() == "box-42\n"


def test_pid1_is_the_container_process(shim):
    run_to_exit(shim, ["sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '"])
    # no newline at the end: the partial line is flushed when the process exits
    assert shim.output() == "1\nsh -c echo $$; cat /proc/1/cmdline | tr '\\0' ' ' "


def test_fds_are_exactly_0_1_2(shim):
    shim.write_spec(spec(["sleep", "30"]))
    assert shim.start().returncode == 0
    pid = shim.pid()
    assert sorted(os.listdir("/proc/%d/fd" % pid)) == ["0", "1", "2"]
    os.kill(pid, signal.SIGKILL)
    shim.wait_exit()


def test_loopback_up_and_isolated_network(shim):
    run_to_exit(shim, ["sh", "-c", "ip -o link | cut -d: -f2 | tr -d ' '; ip link show lo"])
    out = shim.output()
    assert out.splitlines()[0] == "lo"
    assert "UP" in out.splitlines()[1] and "LOOPBACK" in out


def test_dev_and_proc(shim):
    run_to_exit(shim, ["sh", "-c",
                       "ls /dev | sort | tr '\\n' ' '; echo; "
                       "echo x > /dev/null && head -c 4 /dev/zero | wc -c; "
                       "touch /sys/x 2>&1 | grep -c Read-only; cat /proc/keys | wc -c"])
    lines = shim.output().splitlines()
    for n in ("null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm",
              "mqueue", "fd", "stdin", "stdout", "stderr"):
        assert n in lines[0].split(), lines[0]
    assert lines[1] == "4"
    assert lines[2] == "1"   # /sys is read-only
    assert lines[3] == "0"   # /proc/keys is masked


def test_bind_mount_file_and_dir(shim, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost kedge-test\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_text("from host\n")
    mounts = [
        {"destination": "/etc/hosts", "type": "bind", "source": str(hosts),
         "options": ["rbind", "rprivate"]},
        {"destination": "/data", "type": "bind", "source": str(data), "options": ["rbind", "ro"]},
    ]
    run_to_exit(shim, ["sh", "-c", "cat /etc/hosts /data/f; touch /data/g 2>/dev/null || echo ro"],
                mounts=mounts)
    assert shim.output() == "127.0.0.1 localhost kedge-test\nfrom host\nro\n"


def test_missing_executable_reports_clear_error(shim):
    shim.write_spec(spec(["nosuch"]))
    p = shim.start()
    assert p.returncode == 1
    assert 'exec: "nosuch": executable file not found in $PATH' in p.stderr
    ex = shim.wait_exit()
    assert ex["ExitCode"] == 127
    assert "executable file not found" in ex["Error"]


def test_seccomp_filter_in_spec_is_refused_not_ignored(shim):
    # No filter loader yet: a spec asking for one must not run unconfined.
    s = spec(["true"])
    s["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO"}
    shim.write_spec(s)
    p = shim.start()
    assert p.returncode == 1
    assert "seccomp" in p.stderr
    assert shim.wait_exit()["ExitCode"] != 0


def test_missing_absolute_path(shim):
    shim.write_spec(spec(["/bin/nosuch"]))
    p = shim.start()
    assert p.returncode == 1
    assert "no such file or directory" in p.stderr.lower()
    assert shim.wait_exit()["ExitCode"] == 127


def test_not_executable(shim):
    shim.write_spec(spec(["/etc/passwd"]))
    p = shim.start()
    assert p.returncode == 1
    assert "permission denied" in p.stderr.lower()
    assert shim.wait_exit()["ExitCode"] == 126


def test_sigkill_records_137(shim):
    shim.write_spec(spec(["sleep", "30"]))
    assert shim.start().returncode == 0
    os.kill(shim.pid(), signal.SIGKILL)
    ex = shim.wait_exit()
    assert ex["ExitCode"] == 137
    assert ex["Signal"] == 9


def test_killing_the_shims_parent_keeps_the_container(shim):
    shim.write_spec(spec(["sh", "-c", "sleep 2; echo survived"]))
    parent = subprocess.Popen(["/bin/sh", "-c", 'exec "$0" "$@"; ', KEDGE, "shim", "--id", "t",
                               "--bundle", shim.bundle, "--run-dir", shim.run,
                               "--log-path", shim.log])
    # the launcher returns once started; the shim is in its own session
    assert parent.wait(timeout=20) == 0
    shim_pid = shim.pid("shim.pid")
    assert os.getsid(shim_pid) == shim_pid
    ex = shim.wait_exit()
    assert ex["ExitCode"] == 0
    assert shim.output() == "survived\n"


def test_killing_the_launcher_process_group(shim):
    """A wrapper that started the shim is killed with -9 along with its process
    group: the container lives on and its exit is recorded."""
    shim.write_spec(spec(["sh", "-c", "sleep 1; echo alive"]))
    wrapper = subprocess.Popen(["/bin/sh", "-c", '"$@"; sleep 60', "sh", KEDGE, "shim",
                                "--id", "t", "--bundle", shim.bundle, "--run-dir", shim.run,
                                "--log-path", shim.log], start_new_session=True)
    end = time.time() + 10
    while not os.path.exists(os.path.join(shim.run, "shim.pid")) and time.time() < end:
        time.sleep(0.02)
    time.sleep(0.1)
    os.killpg(wrapper.pid, signal.SIGKILL)
    wrapper.wait()
    ex = shim.wait_exit()
    assert ex["ExitCode"] == 0
    assert shim.output() == "alive\n"


def _v1_memory():
    return os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")


@pytest.mark.skipif(not _v1_memory(), reason="needs the cgroup v1 memory controller")
def test_memory_cgroup_limit_v1(shim, tmp_path):
    path = "kedge-test/%s" % os.path.basename(str(tmp_path))
    shim.write_spec(spec(["sleep", "30"], memory=64 * 1024 * 1024, cgroup=path))
    p = shim.start()
    assert p.returncode == 0, p.stderr
    d = "/sys/fs/cgroup/memory/" + path
    with open(d + "/memory.limit_in_bytes") as f:
        assert int(f.read()) == 64 * 1024 * 1024
    with open(d + "/cgroup.procs") as f:
        assert str(shim.pid()) in f.read().split()
    os.kill(shim.pid(), signal.SIGKILL)
    shim.wait_exit()
    time.sleep(0.1)
    assert not os.path.exists(d), "cgroup left behind"
    os.rmdir("/sys/fs/cgroup/memory/kedge-test") if not os.listdir(
        "/sys/fs/cgroup/memory/kedge-test") else None


# Docker's rules as the engine writes them (moby's DefaultLinuxSpec).
DOCKER_DEVICES = [{"allow": False, "access": "rwm"}] + [
    {"allow": True, "type": "c", "major": ma, "minor": mi, "access": "rwm"}
    for ma, mi in ((1, 5), (1, 3), (1, 9), (1, 8), (5, 0), (5, 1))] + [
    {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]


def _v2_root():
    """A cgroup v2 hierarchy: the host's own, or the hybrid layout's
    'unified' one, where eBPF device programs work as on a v2 host."""
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        if os.path.exists(root + "/cgroup.controllers"):
            return root
    return None


# Docker's list without /dev/console (c 5:1), which the runtime's own
# defaults (runc's) do not add back: a device root can open even inside a
# container, so the program's decisions show on any host, also one where no
# block device can be opened at all.
NO_CONSOLE_DEVICES = [d for d in DOCKER_DEVICES if (d.get("major"), d.get("minor")) != (5, 1)]


@pytest.mark.skipif(_v2_root() is None, reason="no cgroup v2 hierarchy mounted")
def test_device_ebpf_program_on_cgroup_v2(shim, tmp_path):
    """The v2 path for real: the eBPF program is loaded (the verifier
    accepts it), attached, and decides every open and mknod."""
    root, path = _v2_root(), "kedge-test-dev/%s" % os.path.basename(str(tmp_path))
    script = ("mknod /dev/cons c 5 1 && echo mknod-ok; printf '' > /dev/cons && echo CONS-OPEN; "
              "head -c 2 /dev/zero | wc -c; "
              "mknod /dev/fuse c 10 229 && cat /dev/fuse; echo done")
    for devices, opens in ((NO_CONSOLE_DEVICES, False),
                           (NO_CONSOLE_DEVICES + [{"allow": True, "access": "rwm"}], True)):
        for f in ("exit.json", "container.pid"):
            if os.path.exists(os.path.join(shim.run, f)):
                os.unlink(os.path.join(shim.run, f))
        if os.path.exists(shim.log):
            os.unlink(shim.log)
        shim.write_spec(spec(["sh", "-c", script], devices=devices))
        p = shim.start("--cgroup-root", root, "--cgroup-path", path)
        assert p.returncode == 0, p.stderr + shim.shim_log()
        assert shim.wait_exit()["ExitCode"] == 0
        out = shim.output()
        assert "mknod-ok" in out and "\n2\n" in out and "done" in out, out
        assert ("CONS-OPEN" in out) == opens, out
        time.sleep(0.1)
        assert not os.path.exists(os.path.join(root, path)), "cgroup left behind"
    # attached to the container's own group while it runs
    from kedgetest.cgroupbpf import device_programs
    for f in ("exit.json", "container.pid"):
        os.unlink(os.path.join(shim.run, f))
    shim.write_spec(spec(["sleep", "30"], devices=DOCKER_DEVICES))
    assert shim.start("--cgroup-root", root, "--cgroup-path", path).returncode == 0
    try:
        assert device_programs(os.path.join(root, path)) == 1
    finally:
        os.kill(shim.pid(), signal.SIGKILL)
        shim.wait_exit()
    try:
        os.rmdir(os.path.join(root, "kedge-test-dev"))
    except OSError:
        pass  # another run of this test still has its group there


def test_rlimit_clamped_with_warning(shim):
    run_to_exit(shim, ["sh", "-c", "ulimit -n"])
    hard = int(open("/proc/self/limits").read().split("Max open files")[1].split()[1])
    assert shim.output() == "%d\n" % hard
    assert "clamped" in shim.shim_log()


def test_capabilities_default_set(shim):
    run_to_exit(shim, ["sh", "-c", "grep -E '^Cap(Bnd|Eff|Prm|Amb)' /proc/self/status"])
    caps = dict(line.split(":\t") for line in shim.output().splitlines())
    assert caps["CapBnd"] == "00000000a80425fb"
    assert caps["CapEff"] == "00000000a80425fb"
    assert caps["CapAmb"] == "0000000000000000"


def _recv_frame(sock):
    hdr = b""
    while len(hdr) < 8:
        chunk = sock.recv(8 - len(hdr))
        if not chunk:
            return None, None
        hdr += chunk
    n = struct.unpack(">I", hdr[4:])[0]
    data = b""
    while len(data) < n:
        data += sock.recv(n - len(data))
    return hdr[0], data


def test_attach_socket_stdin_stdout_exit(shim):
    shim.write_spec(spec(["sh", "-c", "read line; echo got:$line; echo err >&2; exit 5"]))
    assert shim.start("--stdin", "--defer-start").returncode == 0
    att = socket.socket(socket.AF_UNIX)
    att.connect(os.path.join(shim.run, "attach.sock"))
    ctl = socket.socket(socket.AF_UNIX)
    ctl.connect(os.path.join(shim.run, "ctl.sock"))
    ctl.sendall(struct.pack(">B3xI", 7, 0))               # START
    assert _recv_frame(ctl) == (8, b"")                  # OK
    att.sendall(struct.pack(">B3xI", 0, 6) + b"hello\n")  # STDIN
    frames = []
    while True:
        t, d = _recv_frame(att)
        if t is None:
            break
        frames.append((t, d))
    assert (1, b"got:hello\n") in frames
    assert (2, b"err\n") in frames
    assert frames[-1] == (5, struct.pack(">I", 5))      # EXIT 5
    assert shim.wait_exit()["ExitCode"] == 5


def test_ctl_kill(shim):
    shim.write_spec(spec(["sleep", "30"]))
    assert shim.start().returncode == 0
    ctl = socket.socket(socket.AF_UNIX)
    ctl.connect(os.path.join(shim.run, "ctl.sock"))
    ctl.sendall(struct.pack(">B3xII", 6, 4, 15))         # KILL SIGTERM
    assert _recv_frame(ctl) == (8, b"")
    # pid 1 without a SIGTERM handler ignores it, as in Docker
    time.sleep(0.2)
    assert not os.path.exists(os.path.join(shim.run, "exit.json"))
    ctl.sendall(struct.pack(">B3xII", 6, 4, 9))
    assert shim.wait_exit()["ExitCode"] == 137


def test_terminal(shim):
    s = spec(["sh", "-c", "tty; stty size"], terminal=True)
    s["process"]["consoleSize"] = {"height": 40, "width": 100}
    shim.write_spec(s)
    assert shim.start().returncode == 0
    assert shim.wait_exit()["ExitCode"] == 0
    assert shim.output() == "/dev/pts/0\r\n40 100\r\n"


def test_log_rotation(shim):
    shim.write_spec(spec(["sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done"]))
    assert shim.start("--log-max-size", "1000", "--log-max-file", "3").returncode == 0
    assert shim.wait_exit()["ExitCode"] == 0
    files = sorted(f for f in os.listdir(shim.tmp) if f.startswith("ctr-json.log"))
    assert files == ["ctr-json.log", "ctr-json.log.1", "ctr-json.log.2"]
    for f in files:
        assert os.path.getsize(os.path.join(shim.tmp, f)) < 1000 + 120
    last = shim.log_lines()[-1]
    assert last["log"] == "line199\n"
