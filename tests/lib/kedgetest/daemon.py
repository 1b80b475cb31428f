"""Start and stop a real `kedge daemon` on a temporary socket and data root."""
import os
import signal
import subprocess
import tempfile
import time

from .http import UnixHTTP

KEDGE_BIN = os.environ.get("KEDGE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "build", "kedge")

# Lines that mean the daemon crashed or a sanitizer caught something.
CRASH_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation fault",
                 "Aborted", "double free", "stack smashing")


class Daemon:
    """One kedge daemon. Use start()/stop(), or the `kedge` pytest fixture."""

    def __init__(self, root=None, extra_args=(), env=None):
        self.root = root or tempfile.mkdtemp(prefix="kedge-e2e-")
        self.sock = os.path.join(self.root, "docker.sock")
        self.data_root = os.path.join(self.root, "data")
        self.exec_root = os.path.join(self.root, "exec")
        self.log_path = os.path.join(self.root, "daemon.log")
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None

    @property
    def host(self):
        return "unix://" + self.sock

    def args(self):
        return [KEDGE_BIN, "daemon", "-H", self.host, "--data-root", self.data_root,
                "--exec-root", self.exec_root, "--log-level", "debug"] + self.extra_args

    def start(self, timeout=10):
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kedge daemon exited with %d:\n%s"
                                   % (self.proc.returncode, self.read_log()))
            try:
                if UnixHTTP(self.sock, timeout=1).request("GET", "/_ping").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("kedge daemon did not answer /_ping:\n" + self.read_log())

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def crash_lines(self):
        return [l for l in self.read_log().splitlines() if any(m in l for m in CRASH_MARKERS)]

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the daemon; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def http(self, timeout=10):
        return UnixHTTP(self.sock, timeout=timeout)


def kill_containers_under(root):
    """Kills every kedge shim whose bundle lies under root, and the
    container processes below it; returns how many shims there were. A test
    that fails half-way (or kills its daemon on purpose) leaves its
    containers running: they are not the next test's business."""
    root = os.path.realpath(root) + "/"
    shims = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if not args or not args[0].endswith(b"kedge-shim") and args[:2] != [args[0], b"shim"]:
            continue
        if any(a.decode(errors="replace").startswith(root) for a in args):
            shims.append(int(pid))
    children = {}
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    doomed, todo = [], list(shims)
    while todo:
        p = todo.pop()
        doomed.append(p)
        todo.extend(children.get(p, []))
    for p in doomed:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return len(shims)

