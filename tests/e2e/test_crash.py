"""kill -9 of the daemon at random points of a loop of mixed operations
(create, start, rm, load, tag, rmi) (issue 9). After every restart: no
record points at nothing, nothing on disk is unreferenced (containers,
images, layers, blobs), and the containers that were running still run
(live restore: a daemon crash is not a container crash)."""
import json
import os
import random
import signal
import sqlite3
import threading
import time

from kedgetest.daemon import Daemon
from kedgetest.http import UnixHTTP
from kedgetest.images import busybox_archive, multilayer_archive

ROUNDS = int(os.environ.get("KEDGE_CRASH_ROUNDS", "8"))
NAMES = ["n%d" % i for i in range(12)]  # never an ID prefix
TAGS = ["crash:t%d" % i for i in range(6)]


def worker(sock, stop, seed, archives, done, inflight):
    rnd = random.Random(seed)
    while not stop.is_set():
        inflight[seed] = None
        try:
            conn = UnixHTTP(sock, timeout=30)
            r = None
            op = rnd.choice(["create", "create", "start", "rm", "load", "tag", "rmi"])
            name = rnd.choice(NAMES)
            inflight[seed] = op
            if op == "create":
                image = rnd.choice(["busybox", "multi", rnd.choice(TAGS)])
                body = json.dumps({"Image": image, "Cmd": ["sleep", "1000"]}).encode()
                r = conn.request("POST", "/containers/create?name=" + name, body=body,
                             headers={"Content-Type": "application/json"})
            elif op == "start":
                r = conn.request("POST", "/containers/%s/start" % name)
            elif op == "rm":
                r = conn.request("DELETE", "/containers/%s?force=1" % name)
            elif op == "load":
                r = conn.request("POST", "/images/load?quiet=1", body=rnd.choice(archives),
                             headers={"Content-Type": "application/x-tar"})
            elif op == "tag":
                repo, tag = rnd.choice(TAGS).split(":")
                r = conn.request("POST", "/images/%s/tag?repo=%s&tag=%s"
                             % (rnd.choice(["busybox", "multi"]), repo, tag))
            else:
                r = conn.request("DELETE", "/images/%s" % rnd.choice(TAGS + ["multi"]))
            inflight[seed] = None
            if r.status < 300:
                done[op] = done.get(op, 0) + 1
        except Exception:  # noqa: BLE001 - the daemon is killed under us
            inflight[seed] = None
            time.sleep(0.01)


def shims(exec_root):
    """(pid, container id) of every shim process of this daemon."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"--run-dir" in argv:
            run_dir = argv[argv.index(b"--run-dir") + 1].decode()
            if run_dir.startswith(exec_root + "/"):
                out.append((int(p), os.path.basename(run_dir)))
    return out


def check(d, keep):
    root = d.data_root
    con = sqlite3.connect(os.path.join(root, "kedge.db"), timeout=10)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    try:
        assert q("PRAGMA foreign_key_check") == []
        assert q("PRAGMA integrity_check") == [("ok",)]
        containers = dict(q("SELECT id, state FROM containers"))
        images = {r[0] for r in q("SELECT id FROM images")}
        layers = dict(q("SELECT chain_id, blob FROM layers"))
        used_layers = {r[0] for r in q("SELECT chain_id FROM image_layers")}
        refs = q("SELECT ref, image_id FROM image_refs")
        cimages = q("SELECT id, image_id FROM containers")
    finally:
        con.close()
    # Records point at something.
    for ref, iid in refs:
        assert iid in images, ("tag without image", ref)
    for cid, iid in cimages:
        assert iid in images, ("container without its image", cid)
    for chain in used_layers:
        assert chain in layers, ("image layer without record", chain)
        assert os.path.exists(os.path.join(root, "layers", chain[7:], "complete")), chain
    blobs = set(os.listdir(os.path.join(root, "blobs", "sha256")))
    for iid in images:
        assert iid[7:] in blobs, ("image without its config", iid)
    # Nothing on disk is unreferenced.
    dirs = set(os.listdir(os.path.join(root, "containers")))
    assert dirs == set(containers), ("dirs without records", dirs - set(containers),
                                     "records without dirs", set(containers) - dirs)
    assert {"sha256:" + h for h in os.listdir(os.path.join(root, "layers"))} <= set(layers)
    wanted = images | {b for b in layers.values() if b}
    assert {"sha256:" + b for b in blobs} <= wanted, ("stray blobs", blobs)
    assert set(layers) <= used_layers, ("layers no image uses", set(layers) - used_layers)
    # The API agrees, and what ran before the crash still runs, same pid.
    api = {c["Id"]: c for c in d.http(timeout=60).request(
        "GET", "/containers/json?all=1").json()}
    assert set(api) == set(containers), ("api only", set(api) - set(containers),
                                         "db only", set(containers) - set(api))
    runs = set(os.listdir(d.exec_root)) if os.path.isdir(d.exec_root) else set()
    for cid, st in containers.items():
        assert api[cid]["State"] == st
        if st == "running":
            # Adopted, not merely recorded: its process is there.
            assert cid in runs, ("running without its run directory", cid)
            pid = d.http().request("GET", "/containers/%s/json" % cid).json()["State"]["Pid"]
            assert pid > 0, cid
            os.kill(pid, 0)
    running = {c for c, st in containers.items() if st == "running"}
    assert runs <= running, ("run dirs of stopped containers", runs - running)
    # No shim outlives its container's record (an interrupted start leaves
    # one waiting for START; restore must end it).
    for shim, cid in shims(d.exec_root):
        assert cid in running, ("stray shim", shim, cid)
    for cid, pid in keep.items():
        st = d.http().request("GET", "/containers/%s/json" % cid).json()["State"]
        assert st["Running"] and st["Pid"] == pid, ("live restore lost", cid, st)
        os.kill(pid, 0)


def test_kill9_during_mixed_operations(tmp_path):
    archives = [busybox_archive(), multilayer_archive("multi:latest")]
    d = Daemon(root=str(tmp_path)).start()
    try:
        for a in archives:
            assert d.http(timeout=60).request(
                "POST", "/images/load?quiet=1", body=a,
                headers={"Content-Type": "application/x-tar"}).status == 200
        keep = {}
        for i in range(2):
            body = json.dumps({"Image": "busybox", "Cmd": ["sleep", "1000"]}).encode()
            cid = d.http().request("POST", "/containers/create?name=keep%d" % i, body=body,
                                   headers={"Content-Type": "application/json"}).json()["Id"]
            assert d.http().request("POST", "/containers/%s/start" % cid).status == 204
            keep[cid] = d.http().request("GET", "/containers/%s/json" % cid).json()["State"]["Pid"]
        rnd = random.Random(int(os.environ.get("KEDGE_CRASH_SEED", "9")))
        done, inflight, landed = {}, {}, []
        for rnd_i in range(ROUNDS):
            stop = threading.Event()
            ts = [threading.Thread(target=worker,
                                   args=(d.sock, stop, rnd_i * 10 + i, archives, done,
                                         inflight))
                  for i in range(4)]
            [t.start() for t in ts]
            time.sleep(rnd.uniform(0.3, 2.0))
            inflight_now = dict(inflight)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            landed.append(sorted(op for op in inflight_now.values() if op))
            inflight.clear()
            stop.set()
            [t.join(60) for t in ts]
            d.log.close()
            d.proc = None
            d.start()
            check(d, keep)
        print("crash: %d rounds, operations that succeeded: %s; in flight at each kill: %s"
              % (ROUNDS, done, landed))
        # The kills landed in the middle of work, not between requests.
        assert sum(1 for ops in landed if ops) >= ROUNDS // 2, landed
        assert len(done) == 6 and sum(done.values()) > 50, done
        assert not d.crash_lines(), d.read_log()
        # Clean up what the loop made; the daemon then stops cleanly.
        for c in d.http().request("GET", "/containers/json?all=1").json():
            assert d.http(timeout=60).request("DELETE", "/containers/%s?force=1" % c["Id"]).status == 204
        assert shims(d.exec_root) == []
    finally:
        rc = d.stop()
    assert rc == 0, d.read_log()
