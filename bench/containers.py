#!/usr/bin/env python3
"""Container life-cycle benchmarks against any DOCKER_HOST (kedge or dockerd).

Prints medians and p90 over repeated runs; nothing here asserts anything.
Needs a `busybox` image in the engine (bench/run-containers loads one).

  docker run --rm busybox true     via the real docker CLI, N runs
  API cycle                        create + start + wait + delete, N runs
  100 x docker run -d ... sleep    then docker rm -f of all; total seconds
  20 concurrent docker run --rm    total seconds
  memory                           MemAvailable drop per running container,
                                   mean shim PSS (kedge), daemon RSS
"""
import concurrent.futures
import glob
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HOST = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
SOCK = HOST[len("unix://"):] if HOST.startswith("unix://") else HOST
N = int(os.environ.get("N", "20"))
MANY = int(os.environ.get("MANY", "100"))


class Conn(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("docker", timeout=60)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(SOCK)


def api(c, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 400:
        raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data))
    return json.loads(data) if data.strip() else None


def stats(name, xs, unit="ms", scale=1000.0):
    xs = sorted(x * scale for x in xs)
    p90 = xs[min(len(xs) - 1, int(0.9 * (len(xs) - 1) + 0.5))]
    print("%-34s runs=%-4d median=%8.1f %s  p90=%8.1f %s" % (
        name, len(xs), statistics.median(xs), unit, p90, unit))


def docker(*args, **kw):
    return subprocess.run(["docker", *args], capture_output=True, check=True, **kw)


def meminfo_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def main():
    env_ok = subprocess.run(["docker", "image", "inspect", "busybox"], capture_output=True)
    if env_ok.returncode != 0:
        sys.exit("bench: no busybox image in %s" % HOST)
    docker("run", "--rm", "busybox", "true")  # warm up
    times = []
    for _ in range(N):
        t0 = time.monotonic()
        docker("run", "--rm", "busybox", "true")
        times.append(time.monotonic() - t0)
    stats("docker run --rm busybox true", times)

    c = Conn()
    times = []
    for _ in range(N):
        t0 = time.monotonic()
        cid = api(c, "POST", "/containers/create", {"Image": "busybox", "Cmd": ["true"]})["Id"]
        api(c, "POST", "/containers/%s/start" % cid)
        api(c, "POST", "/containers/%s/wait" % cid)
        api(c, "DELETE", "/containers/%s" % cid)
        times.append(time.monotonic() - t0)
    stats("API create+start+wait+delete", times)

    avail0 = meminfo_available()
    t0 = time.monotonic()
    ids = [docker("run", "-d", "busybox", "sleep", "3600").stdout.decode().strip()
           for _ in range(MANY)]
    t_start = time.monotonic() - t0
    time.sleep(1)
    avail1 = meminfo_available()
    pss = []
    for f in glob.glob(os.environ.get("KEDGE_EXEC_ROOT", "/nonexistent") + "/*/shim.pid"):
        try:
            with open(f) as pf, open("/proc/%s/smaps_rollup" % pf.read().strip()) as sf:
                for line in sf:
                    if line.startswith("Pss:"):
                        pss.append(int(line.split()[1]))
        except OSError:
            pass
    t0 = time.monotonic()
    docker("rm", "-f", *ids)
    t_rm = time.monotonic() - t0
    print("%-34s %.2f s (%.1f ms each)" % ("%d x docker run -d sleep" % MANY, t_start,
                                          1000 * t_start / MANY))
    print("%-34s %.2f s" % ("docker rm -f of all %d" % MANY, t_rm))
    print("%-34s %.0f KiB" % ("MemAvailable drop per container", (avail0 - avail1) / MANY))
    if pss:
        print("%-34s %.0f KiB over %d shims" % ("shim PSS mean", statistics.mean(pss), len(pss)))

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        list(ex.map(lambda _: docker("run", "--rm", "busybox", "true"), range(20)))
    print("%-34s %.2f s" % ("20 concurrent docker run --rm", time.monotonic() - t0))


if __name__ == "__main__":
    main()
