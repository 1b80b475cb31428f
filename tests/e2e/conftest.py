"""Fixtures for the end-to-end suites: a real kedge daemon per test."""
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

from kedgetest.daemon import Daemon, kill_containers_under  # noqa: E402


def _tools_path():
    top = os.environ.get("KEDGE_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
    tools = os.path.join(top, ".tools", "bin")
    # A docker CLI already on PATH wins; .tools/bin is the fallback install-deps made.
    os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + tools


_tools_path()

# No silent skips: a missing dependency (busybox, root, runc, docker-registry)
# must not turn the suite green by skipping the tests that need it. A skip
# fails the run unless the developer allows it explicitly.
ALLOW_SKIPS = os.environ.get("KEDGE_ALLOW_SKIPS") == "1"
_SKIPPED = []


def _note_skip(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(report.nodeid)


def pytest_runtest_logreport(report):
    _note_skip(report)


def pytest_collectreport(report):
    _note_skip(report)


def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED and not ALLOW_SKIPS and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED and not ALLOW_SKIPS:
        terminalreporter.write_line(
            "FAILED: %d test(s) skipped (listed in the skip summary); install what they need "
            "(scripts/install-deps, run as root) or set KEDGE_ALLOW_SKIPS=1 to allow skips"
            % len(_SKIPPED), red=True)


@pytest.fixture(autouse=True)
def _no_leftover_containers(tmp_path):
    """Whatever containers a test leaves running (a failed assert, a daemon
    killed on purpose) are killed when it ends, so they cannot pile up."""
    yield
    kill_containers_under(str(tmp_path))


@pytest.fixture
def kedge(tmp_path):
    """A running daemon on a temporary socket, data root and exec root.

    On teardown it is stopped with SIGTERM; the test fails if it did not exit
    0, logged a crash or sanitizer report, or left its socket behind."""
    d = Daemon(root=str(tmp_path)).start()
    yield d
    rc = d.stop()
    crashes = d.crash_lines()
    assert not crashes, "daemon crashed:\n" + d.read_log()
    assert rc == 0, "daemon exited %s:\n%s" % (rc, d.read_log())
    assert not os.path.exists(d.sock), "daemon left its socket behind"


@pytest.fixture
def docker_cli(kedge):
    """Runs the real docker CLI against the daemon: docker_cli('info', ...)."""
    import subprocess

    exe = shutil.which("docker")
    assert exe, "no docker CLI on PATH (scripts/install-deps provides one)"
    env = dict(os.environ, DOCKER_HOST=kedge.host, DOCKER_CONFIG=str(kedge.root) + "/docker-config")

    def run(*args, check=True, input=None, timeout=60):
        p = subprocess.run([exe, *args], env=env, capture_output=True, input=input,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("docker %s failed (%d):\n%s\n%s" % (
                " ".join(args), p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace")))
        return p

    return run


@pytest.fixture
def docker_py(kedge):
    """A docker-py client bound to the daemon."""
    import docker

    c = docker.DockerClient(base_url=kedge.host, version="auto", timeout=60)
    yield c
    c.close()


_BUSYBOX = {}


@pytest.fixture
def busybox(kedge):
    """Loads busybox:latest (built from Debian's busybox-static) into the daemon."""
    from kedgetest.images import busybox_archive

    if "tar" not in _BUSYBOX:
        _BUSYBOX["tar"] = busybox_archive()
    r = kedge.http(timeout=60).request("POST", "/images/load?quiet=1", body=_BUSYBOX["tar"],
                                       headers={"Content-Type": "application/x-tar"})
    assert r.status == 200, r.body
    return "busybox:latest"
