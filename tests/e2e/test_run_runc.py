"""test_run.py's core docker run forms again with `--runtime runc` (Debian's
runc): the engine writes the same spec, the shim execs runc instead of
running the built-in runtime, and the daemon cannot tell the difference."""
import json
import os
import shutil

import pytest

import test_run
from test_run import (  # noqa: F401  (collected here again, against runc)
    test_exit_codes,
    test_kill_gives_137,
    test_oom_killed_in_inspect,
    test_run_options,
    test_run_rm_echo,
    test_stdin_pipe,
    test_stdout_stderr_separate,
    test_stop_ignoring_sigterm_is_killed_after_timeout,
    test_logs_follow_tail_timestamps,
    test_user_by_name_from_image_passwd,
    test_resources_in_cgroup,
    test_attach_and_detach_keys,
    test_stop_timeout_flag_and_trap,
    test_init_and_labels_and_name,
    test_ps_and_inspect_shapes,
    test_restart_and_prune,
    test_daemon_kill9_keeps_containers,
    test_log_rotation_read_in_order,
    test_signal_proxy,
    test_ulimits_clamped,
    test_attach_without_upgrade_streams_output,
)

pytestmark = pytest.mark.skipif(shutil.which("runc") is None,
                                reason="runc is not installed (apt-get install runc)")


@pytest.fixture
def docker_cli(docker_cli):
    """The docker CLI with `--runtime runc` added to every run and create."""
    def run(*args, **kw):
        if args and args[0] in ("run", "create"):
            args = (args[0], "--runtime", "runc", *args[1:])
        return docker_cli(*args, **kw)
    return run


def test_interactive_tty_runc(kedge, busybox, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", kedge.host)
    code, out = test_run._pty_run(["run", "-it", "--rm", "--runtime", "runc", "busybox", "sh"],
                                  b"echo hi-$((40+2)); tty; exit 5\r")
    assert code == 5, out
    assert b"hi-42" in out and b"/dev/pts/0" in out


def test_missing_executable_127_runc(docker_cli, busybox, kedge):
    p = docker_cli("run", "--rm", "busybox", "nosuch", check=False)
    assert p.returncode == 127, p.stderr
    assert 'exec: "nosuch": executable file not found in $PATH' in p.stderr.decode()
    assert docker_cli("ps", "-aq").stdout == b""
    with open("/proc/self/mountinfo") as f:
        assert kedge.data_root not in f.read()


def test_runtime_in_info_and_inspect(docker_cli, busybox, kedge):
    info = json.loads(docker_cli("info", "--format", "{{json .Runtimes}}").stdout)
    assert "runc" in info and "kedge" in info
    docker_cli("create", "--name", "rt", "busybox", "true")
    assert docker_cli("inspect", "--format", "{{.HostConfig.Runtime}}",
                      "rt").stdout == b"runc\n"
    docker_cli("start", "-a", "rt")
    assert docker_cli("inspect", "--format", "{{.State.ExitCode}}", "rt").stdout == b"0\n"
    docker_cli("rm", "rt")
    # nothing of runc's is left: no state, no cgroup, no mount
    assert not os.listdir(kedge.exec_root) if os.path.isdir(kedge.exec_root) else True
    with open("/proc/self/mountinfo") as f:
        assert kedge.data_root not in f.read()


def test_unknown_runtime_is_400(kedge, busybox):
    r = kedge.http().request("POST", "/containers/create",
                             body=b'{"Image":"busybox","HostConfig":{"Runtime":"nosuch"}}',
                             headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert r.json()["message"] == "unknown or invalid runtime name: nosuch"
    r = kedge.http().request("POST", "/containers/create",
                             body=b'{"Image":"busybox","Cmd":["true"]}',
                             headers={"Content-Type": "application/json"})
    assert r.status == 201
    i = kedge.http().request("GET", "/containers/%s/json" % r.json()["Id"]).json()
    assert i["HostConfig"]["Runtime"] == "kedge"


def test_shim_killed_leaves_no_mount_runc(docker_cli, busybox, kedge):
    # The shim mounted the root for runc; with the shim gone the daemon unmounts it.
    test_run.test_shim_killed_marks_dead(docker_cli, busybox, kedge)
    with open("/proc/self/mountinfo") as f:
        assert kedge.data_root not in f.read()


def test_docker_py_runc(docker_py, busybox):
    out = docker_py.containers.run("busybox", ["echo", "from-py"], remove=True, runtime="runc")
    assert out == b"from-py\n"
    c = docker_py.containers.run("busybox", ["sleep", "100"], detach=True, runtime="runc")
    assert c.attrs["HostConfig"]["Runtime"] == "runc"
    c.stop(timeout=1)
    assert c.wait()["StatusCode"] == 137
    c.remove()
