"""Log throughput of the engine at DOCKER_HOST (bench/logs runs it).

write: a container prints SIZE bytes in 100-byte lines, timed from
       `docker run -d` to the end of `docker wait`; the output goes through
       the engine's log writer into the json-file log. busybox `yes` writes
       one line per write(2) and manages only ~60 MB/s by itself, so the
       container prints a 1 MB block of lines made by yes with cat (64 KiB
       writes); "producer alone" is the same container writing to /dev/null.
read:  `docker logs` of that container into /dev/null (the CLI demultiplexes
       the stream), and the raw endpoint with curl (the stream as the daemon
       sends it, no demultiplexing).
Prints medians over RUNS runs; nothing here is a test."""
import os
import statistics
import subprocess
import time

SIZE = int(os.environ.get("SIZE", 100_000_000))
RUNS = int(os.environ.get("RUNS", 3))
HOST = os.environ["DOCKER_HOST"]
LINE = "x" * 99  # + "\n" = 100 bytes
NAME = "kedge-bench-logs"


def sh(*args, out=subprocess.DEVNULL):
    subprocess.run(args, check=True, stdout=out)


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def producer(sink=""):
    return ("yes %s | head -c 1000000 > /tmp/block; i=0; "
            "while [ $i -lt %d ]; do cat /tmp/block; i=$((i+1)); done %s"
            % (LINE, SIZE // 1_000_000, sink))


def write_once(sink=""):
    name = NAME if not sink else NAME + "-null"
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

    def go():
        sh("docker", "run", "-d", "--name", name, "busybox", "sh", "-c", producer(sink))
        sh("docker", "wait", name)
    t = timed(go)
    if sink:
        sh("docker", "rm", name)
    return t


def start_once():
    def go():
        sh("docker", "run", "-d", "--name", NAME + "-true", "busybox", "true")
        sh("docker", "wait", NAME + "-true")
    t = timed(go)
    sh("docker", "rm", NAME + "-true")
    return t


def read_cli():
    with open(os.devnull, "wb") as null:
        return timed(lambda: sh("docker", "logs", NAME, out=null))


def read_raw():
    sock = HOST[len("unix://"):]
    return timed(lambda: sh("curl", "-sS", "--unix-socket", sock, "-o", "/dev/null",
                            "http://d/containers/%s/logs?stdout=1&stderr=1" % NAME))


def read_tail():
    return timed(lambda: sh("docker", "logs", "--tail", "10", NAME))


def mbs(seconds):
    return SIZE / seconds / 1e6


def main():
    base = statistics.median(start_once() for _ in range(RUNS))
    alone = statistics.median(write_once(">/dev/null") for _ in range(RUNS))
    w = statistics.median(write_once() for _ in range(RUNS))
    sizes = subprocess.run(["docker", "logs", NAME], capture_output=True).stdout
    assert len(sizes) == SIZE, "log holds %d bytes, not %d" % (len(sizes), SIZE)
    rc = statistics.median(read_cli() for _ in range(RUNS))
    rr = statistics.median(read_raw() for _ in range(RUNS))
    rt = statistics.median(read_tail() for _ in range(RUNS))
    print("run -d + wait of `true`:        %7.3f s" % base)
    print("producer alone (to /dev/null):  %7.3f s" % alone)
    print("write %d MB (run -d + wait): %7.3f s  %7.1f MB/s  (%.1f MB/s without the `true` time)"
          % (SIZE // 1_000_000, w, mbs(w), mbs(max(w - base, 1e-6))))
    print("read, docker logs > /dev/null:  %7.3f s  %7.1f MB/s" % (rc, mbs(rc)))
    print("read, curl of the endpoint:     %7.3f s  %7.1f MB/s" % (rr, mbs(rr)))
    print("docker logs --tail 10:          %7.3f s" % rt)
    subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL)


main()
