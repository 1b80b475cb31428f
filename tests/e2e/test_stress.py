"""64 concurrent clients against one daemon (issue 9): mixed create, start,
inspect, list, kill, rm and rename for a bounded time. Nothing but the
expected 404/409 (and 304 for a start of a running container) may come
back, the daemon must not crash, and at the end the database, the container
directories, the run directories and the mounts agree."""
import json
import os
import random
import sqlite3
import threading
import time

from kedgetest.http import UnixHTTP

CLIENTS = 64
SECONDS = float(os.environ.get("KEDGE_STRESS_SECONDS", "30"))
NAMES = ["s%d" % i for i in range(40)]  # not hex (an ID prefix); bounds the number of containers
EXPECTED = {200, 201, 204, 304, 404, 409}


def request(conn, method, path, body=None):
    hdrs = {"Content-Type": "application/json"} if body is not None else None
    data = json.dumps(body).encode() if body is not None else None
    return conn.request(method, path, body=data, headers=hdrs)


def client(kedge, stop, seed, errors, counts, lock):
    rnd = random.Random(seed)
    conn = UnixHTTP(kedge.sock, timeout=120)
    ops = ["create", "create", "start", "start", "inspect", "inspect", "list", "kill", "rm",
           "rename", "stop"]
    while not stop.is_set():
        op = rnd.choice(ops)
        name = rnd.choice(NAMES)
        try:
            if op == "create":
                cmd = rnd.choice([["sleep", "1000"], ["sleep", "1000"], ["true"]])
                r = request(conn, "POST", "/containers/create?name=" + name,
                            {"Image": "busybox", "Cmd": cmd})
            elif op == "start":
                r = request(conn, "POST", "/containers/%s/start" % name)
            elif op == "inspect":
                r = request(conn, "GET", "/containers/%s/json" % name)
                if r.status == 200:
                    st = r.json()["State"]
                    # A stopped container has no pid; a running one has one.
                    if st["Running"] != (st["Pid"] > 0):
                        with lock:
                            errors.append(("inspect", name, "Running/Pid disagree", st))
            elif op == "list":
                r = request(conn, "GET", "/containers/json?all=1")
            elif op == "kill":
                r = request(conn, "POST", "/containers/%s/kill" % name)
            elif op == "stop":
                r = request(conn, "POST", "/containers/%s/stop?t=0" % name)
            elif op == "rm":
                r = request(conn, "DELETE", "/containers/%s?force=1" % name)
            else:
                r = request(conn, "POST", "/containers/%s/rename?name=%s"
                            % (name, rnd.choice(NAMES)))
                if r.status == 400 and b"same name" in r.body:
                    r.status = 409
        except Exception as e:  # noqa: BLE001 - any transport error counts
            with lock:
                errors.append((op, name, "exception", repr(e)))
            conn = UnixHTTP(kedge.sock, timeout=120)
            continue
        with lock:
            counts[op] = counts.get(op, 0) + 1
            if r.status not in EXPECTED:
                errors.append((op, name, r.status, r.body[:300]))


def settle(kedge):
    """Waits out the containers that end by themselves (Cmd true): one
    started just before the clients stopped may still be exiting, and while
    its exit is recorded the run directory goes first and the state
    second, so a snapshot taken then sees "running without" a run
    directory (or a row and the API a moment apart). The "sleep 1000"
    containers only end when told, so after this nothing changes."""
    conn = kedge.http(timeout=120)
    for c in conn.request("GET", "/containers/json").json():
        cmd = conn.request("GET", "/containers/%s/json" % c["Id"]).json()["Config"]["Cmd"]
        if cmd == ["true"]:
            r = conn.request("POST", "/containers/%s/wait" % c["Id"])
            assert r.status == 200, r.body


def consistent(kedge):
    """Database rows, API records, directories, run directories and mounts,
    once nothing changes by itself any more (settle)."""
    settle(kedge)
    con = sqlite3.connect(os.path.join(kedge.data_root, "kedge.db"), timeout=10)
    rows = dict(con.execute("SELECT id, state FROM containers").fetchall())
    con.close()
    api = {c["Id"]: c["State"] for c in
           kedge.http(timeout=60).request("GET", "/containers/json?all=1").json()}
    assert set(rows) == set(api), (set(rows) ^ set(api))
    for cid, state in api.items():
        assert rows[cid] == state, (cid, rows[cid], state)
    dirs = set(os.listdir(os.path.join(kedge.data_root, "containers")))
    assert dirs == set(rows), ("dirs without records", dirs - set(rows),
                               "records without dirs", set(rows) - dirs)
    running = {cid for cid, s in api.items() if s == "running"}
    runs = set(os.listdir(kedge.exec_root)) if os.path.isdir(kedge.exec_root) else set()
    assert runs == running, ("run dirs", runs - running, "running without", running - runs)
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if kedge.data_root in l]
    for m in mounts:
        owner = m[len(kedge.data_root):].split("/")
        assert len(owner) > 2 and owner[1] == "containers" and owner[2] in running, m
    return rows, running


def test_consistent_after_self_exits(kedge, busybox):
    """Containers that exit by themselves leave no run directory behind and
    their record says exited, once their exit is waited for."""
    conn = kedge.http(timeout=60)
    for i in range(5):
        r = request(conn, "POST", "/containers/create?name=t%d" % i,
                    {"Image": "busybox", "Cmd": ["true"]})
        assert r.status == 201, r.body
        assert request(conn, "POST", "/containers/t%d/start" % i).status == 204
    rows, running = consistent(kedge)
    assert set(rows.values()) == {"exited"} and running == set(), rows


def test_stress_64_clients(kedge, busybox):
    stop = threading.Event()
    errors, counts, lock = [], {}, threading.Lock()
    threads = [threading.Thread(target=client, args=(kedge, stop, i, errors, counts, lock))
               for i in range(CLIENTS)]
    t0 = time.monotonic()
    [t.start() for t in threads]
    time.sleep(SECONDS)
    stop.set()
    [t.join(120) for t in threads]
    assert not any(t.is_alive() for t in threads), "a client hung"
    took = time.monotonic() - t0
    total = sum(counts.values())
    print("stress: %d requests in %.1fs (%.0f/s): %s" % (total, took, total / took, counts))
    kinds = sorted({"%s %s" % (e[0], e[2]) for e in errors})
    assert not errors, "%d unexpected replies (%s), first: %s" % (len(errors), kinds, errors[:5])
    assert total > 500, counts
    assert kedge.proc.poll() is None, "the daemon died"
    rows, running = consistent(kedge)
    # Every container goes; then nothing at all is left.
    conn = kedge.http(timeout=120)
    for cid in rows:
        r = conn.request("DELETE", "/containers/%s?force=1" % cid)
        assert r.status == 204, r.body
    rows, running = consistent(kedge)
    assert rows == {} and running == set()
