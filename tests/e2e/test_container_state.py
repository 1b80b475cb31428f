"""One owner of container state (issue 9): kill/stop/rm -f return with the
exit recorded, names are unique under concurrency, rm/rm and start/rm do not
interleave, rename is safe under concurrent inspect, start errors keep their
kind, and restore never signals a pid it cannot prove is the one it started."""
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

CONFLICT = ('Conflict. The container name "/%s" is already in use by container "%s". '
            'You have to remove (or rename) that container to be able to reuse that name.')


def api(kedge, method, path, body=None, timeout=60):
    hdrs = {"Content-Type": "application/json"} if body is not None else None
    data = json.dumps(body).encode() if body is not None else None
    return kedge.http(timeout=timeout).request(method, path, body=data, headers=hdrs)


def create(kedge, name=None, cmd=("sleep", "1000"), **extra):
    q = "?name=" + name if name else ""
    body = {"Image": "busybox", "Cmd": list(cmd)}
    body.update(extra)
    return api(kedge, "POST", "/containers/create" + q, body)


def db_rows(kedge):
    con = sqlite3.connect(os.path.join(kedge.data_root, "kedge.db"), timeout=10)
    try:
        return con.execute("SELECT id, name, state FROM containers").fetchall()
    finally:
        con.close()


def test_kill_returns_with_exit_recorded_cli(docker_cli, busybox):
    for _ in range(8):
        cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
        docker_cli("kill", cid)
        state = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
        assert state["Running"] is False and state["Status"] == "exited", state
        assert state["ExitCode"] == 137, state
        assert docker_cli("wait", cid).stdout.decode().strip() == "137"
        docker_cli("rm", cid)


def test_kill_stop_restart_rm_consistent_docker_py(docker_py, busybox, kedge):
    for _ in range(8):
        c = docker_py.containers.run("busybox", ["sleep", "1000"], detach=True)
        c.kill()
        c.reload()
        assert c.attrs["State"]["Running"] is False and c.attrs["State"]["ExitCode"] == 137
        assert c.wait(timeout=5)["StatusCode"] == 137
        c.restart(timeout=0)
        c.reload()
        assert c.attrs["State"]["Running"] is True
        c.stop(timeout=0)
        c.reload()
        assert c.attrs["State"]["Status"] == "exited" and c.attrs["State"]["ExitCode"] == 137
        c.start()
        c.remove(force=True)
        with pytest.raises(Exception):
            c.reload()
    assert db_rows(kedge) == []


def test_concurrent_same_name_creates(busybox, kedge):
    results = []
    barrier = threading.Barrier(12)

    def one():
        barrier.wait()
        r = create(kedge, "samename")
        results.append((r.status, r.json()))

    ts = [threading.Thread(target=one) for _ in range(12)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    won = [b for s, b in results if s == 201]
    lost = [b for s, b in results if s == 409]
    assert len(won) == 1 and len(lost) == 11, results
    for b in lost:
        assert b["message"] == CONFLICT % ("samename", won[0]["Id"]), b
    rows = db_rows(kedge)
    assert rows == [(won[0]["Id"], "samename", "created")], rows
    assert os.listdir(os.path.join(kedge.data_root, "containers")) == [won[0]["Id"]]


def test_concurrent_rm_rm_and_start_rm(busybox, kedge):
    for round in range(6):
        cid = create(kedge).json()["Id"]
        assert api(kedge, "POST", "/containers/%s/start" % cid).status == 204
        out = []
        barrier = threading.Barrier(3)

        def rm():
            barrier.wait()
            out.append(("rm", api(kedge, "DELETE", "/containers/%s?force=1" % cid).status))

        def start():
            barrier.wait()
            out.append(("start", api(kedge, "POST", "/containers/%s/start" % cid).status))

        ts = [threading.Thread(target=f) for f in (rm, rm, start)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        rms = sorted(s for k, s in out if k == "rm")
        assert rms[0] == 204 and rms[1] in (204, 404, 409), out
        assert rms.count(204) == 1, out
        assert dict(out)["start"] in (204, 304, 404, 409), out
        assert api(kedge, "GET", "/containers/%s/json" % cid).status == 404
    assert db_rows(kedge) == []
    assert os.listdir(os.path.join(kedge.data_root, "containers")) == []
    with open("/proc/self/mountinfo") as f:
        assert kedge.data_root not in f.read()


def test_rename_under_concurrent_inspect(busybox, kedge):
    cid = create(kedge, "ren0").json()["Id"]
    stop = threading.Event()
    bad = []

    def inspect():
        while not stop.is_set():
            r = api(kedge, "GET", "/containers/%s/json" % cid)
            if r.status != 200 or r.json()["Name"] not in ("/ren0", "/ren1"):
                bad.append((r.status, r.body[:200]))
            l = api(kedge, "GET", "/containers/json?all=1")
            if l.status != 200:
                bad.append((l.status, l.body[:200]))

    ts = [threading.Thread(target=inspect) for _ in range(4)]
    [t.start() for t in ts]
    for i in range(150):
        r = api(kedge, "POST", "/containers/%s/rename?name=ren%d" % (cid, (i + 1) % 2))
        assert r.status == 204, r.body
    stop.set()
    [t.join() for t in ts]
    assert not bad, bad[:3]
    assert db_rows(kedge) == [(cid, "ren0", "created")]
    other = create(kedge, "ren1").json()["Id"]
    r = api(kedge, "POST", "/containers/%s/rename?name=ren1" % cid)
    assert r.status == 409 and r.json()["message"] == CONFLICT % ("ren1", other)


def test_start_error_kinds(docker_cli, busybox, kedge):
    cid = create(kedge, cmd=("nosuch",)).json()["Id"]
    r = api(kedge, "POST", "/containers/%s/start" % cid)
    assert r.status == 400, r.body
    assert 'exec: "nosuch": executable file not found in $PATH' in r.json()["message"]
    p = docker_cli("run", "--name", "noexec", "busybox", "/etc/passwd", check=False)
    assert p.returncode == 126, p.stderr
    assert "permission denied" in p.stderr.decode()
    st = json.loads(docker_cli("inspect", "noexec").stdout)[0]["State"]
    assert st["ExitCode"] == 126 and "permission denied" in st["Error"]
    p = docker_cli("run", "--name", "nofile", "busybox", "nosuch", check=False)
    assert p.returncode == 127, p.stderr
    # The kind survives a daemon restart (it is in the record, not re-guessed).
    kedge.stop()
    kedge.start()
    st = json.loads(docker_cli("inspect", "nofile").stdout)[0]["State"]
    assert st["ExitCode"] == 127 and "executable file not found" in st["Error"]


def test_restore_never_signals_a_stale_pid(docker_cli, busybox, kedge):
    """A record from before a "reboot" (boot id tampered) names pids that now
    belong to an unrelated process: restore must not signal it, and marks the
    container as no longer running."""
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
    real_pid = st["Pid"]
    with open(os.path.join(kedge.exec_root, cid, "shim.pid")) as f:
        real_shim = int(f.read())
    assert kedge.stop() == 0
    victim = subprocess.Popen(["sleep", "1000"])
    try:
        con = sqlite3.connect(os.path.join(kedge.data_root, "kedge.db"))
        cols = [r[1] for r in con.execute("PRAGMA table_info(containers)")]
        assert "boot_id" in cols, cols
        con.execute("UPDATE containers SET boot_id = 'not-this-boot', pid = ?, shim_pid = ?"
                    " WHERE id = ?", (victim.pid, victim.pid, cid))
        con.commit()
        con.close()
        # The "rebooted" machine has lost the run directory (a tmpfs).
        os.kill(real_shim, signal.SIGKILL)
        os.kill(real_pid, signal.SIGKILL)
        time.sleep(0.3)
        kedge.start()
        time.sleep(0.5)
        assert victim.poll() is None, "restore killed an unrelated process"
        st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
        assert st["Running"] is False and st["Status"] in ("exited", "dead"), st
        assert st["Pid"] == 0
    finally:
        victim.kill()
        victim.wait()


def test_restore_start_time_mismatch_is_gone(docker_cli, busybox, kedge):
    """Same boot, but the stored pid is now another process (start time
    differs): not adopted, not signalled."""
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
    with open(os.path.join(kedge.exec_root, cid, "shim.pid")) as f:
        real_shim = int(f.read())
    assert kedge.stop() == 0
    os.kill(real_shim, signal.SIGKILL)
    os.kill(st["Pid"], signal.SIGKILL)
    time.sleep(0.3)
    victim = subprocess.Popen(["sleep", "1000"])
    try:
        con = sqlite3.connect(os.path.join(kedge.data_root, "kedge.db"))
        con.execute("UPDATE containers SET pid = ?, shim_pid = ? WHERE id = ?",
                    (victim.pid, victim.pid, cid))
        con.commit()
        con.close()
        with open(os.path.join(kedge.exec_root, cid, "shim.pid"), "w") as f:
            f.write("%d\n" % victim.pid)
        kedge.start()
        time.sleep(0.5)
        assert victim.poll() is None, "restore killed an unrelated process"
        st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
        assert st["Running"] is False, st
    finally:
        victim.kill()
        victim.wait()


def test_container_writes_survive_concurrent_image_rollbacks(busybox, kedge):
    """An image transaction that rolls back (rmi of an image in use: 409)
    must not take container records written meanwhile with it: they were
    sharing one SQLite connection, so a concurrent create's INSERT landed
    inside the image transaction and vanished with its ROLLBACK."""
    first = create(kedge, "holder").json()["Id"]  # makes every rmi a 409
    stop = threading.Event()
    statuses = []

    def rmi():
        while not stop.is_set():
            statuses.append(api(kedge, "DELETE", "/images/busybox").status)

    ts = [threading.Thread(target=rmi) for _ in range(3)]
    [t.start() for t in ts]
    made = [first]
    try:
        for i in range(60):
            r = create(kedge, "w%d" % i)
            assert r.status == 201, r.body
            made.append(r.json()["Id"])
    finally:
        stop.set()
        [t.join() for t in ts]
    assert statuses and set(statuses) == {409}, set(statuses)
    assert sorted(r[0] for r in db_rows(kedge)) == sorted(made)
    # And after a restart (what the record says is what there is).
    kedge.stop()
    kedge.start()
    assert len(kedge.http().request("GET", "/containers/json?all=1").json()) == len(made)


def test_create_and_rmi_race_leaves_no_dangling_record(busybox, kedge):
    """create resolves its image, then records the container; an rmi in
    between must either see the container (409) or make the create fail
    (404): never a container whose image is gone."""
    from kedgetest.images import busybox_layer, docker_archive

    layer = busybox_layer()
    bad = []
    for i in range(30):
        tag = "racy%d:latest" % i
        tar = docker_archive([layer], tags=(tag,), labels={"n": str(i)})
        assert kedge.http(timeout=60).request(
            "POST", "/images/load?quiet=1", body=tar,
            headers={"Content-Type": "application/x-tar"}).status == 200
        out = []
        barrier = threading.Barrier(7)

        def mk(j):
            barrier.wait()
            time.sleep(j * 0.002)
            out.append(("create", create(kedge, "racy%d-%d" % (i, j), cmd=("true",),
                                         Image=tag).status))

        def rmi():
            barrier.wait()
            out.append(("rmi", api(kedge, "DELETE", "/images/" + tag).status))

        ts = [threading.Thread(target=mk, args=(j,)) for j in range(6)]
        ts.append(threading.Thread(target=rmi))
        [t.start() for t in ts]
        [t.join() for t in ts]
        made = [s for k, s in out if k == "create" and s == 201]
        removed = [s for k, s in out if k == "rmi" and s == 200]
        assert set(s for k, s in out) <= {200, 201, 404, 409}, out
        if made and removed:
            bad.append((i, out))
    assert not bad, bad
    # Every record's image is there.
    for c in kedge.http().request("GET", "/containers/json?all=1").json():
        assert api(kedge, "GET", "/images/%s/json" % c["ImageID"]).status == 200, c


def test_shim_end_stays_in_its_own_run_dir(docker_cli, busybox, kedge):
    """A shim whose run directory was replaced under the same path (the
    daemon gave up waiting for it after a failed START and a new start made
    a new one) leaves its exit.json and socket unlinks in its own directory,
    never in the new one: there the daemon finds no exit record (dead)."""
    import shutil
    cid = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    pid = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]["Pid"]
    run = os.path.join(kedge.exec_root, cid)
    old = run + ".old"
    os.rename(run, old)
    os.mkdir(run, 0o700)
    try:
        for name in ("ctl.sock", "attach.sock"):
            open(os.path.join(run, name), "w").close()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            st = json.loads(docker_cli("inspect", cid).stdout)[0]["State"]
            if not st["Running"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert st["Status"] == "dead", st
        assert "without recording" in st["Error"], st
        assert os.path.exists(os.path.join(old, "exit.json"))
        assert not os.path.exists(os.path.join(old, "ctl.sock"))
    finally:
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(run, ignore_errors=True)
    docker_cli("rm", "-f", cid)
