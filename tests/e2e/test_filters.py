"""List and prune filters through the real clients (docker CLI 28, docker-py):
every key of `docker ps --filter`, container prune with label!= and until,
images --filter label=, image prune --filter label!=, what a prune reports
it reclaimed, and 400 for an unknown key or a bad value, in dockerd's words.
The keys' meanings are moby's daemon/list.go and daemon/prune.go."""
import json
import os
import time
import urllib.parse

import pytest

from kedgetest import images as ki

pytestmark = pytest.mark.skipif(not os.path.exists(ki.BUSYBOX), reason="needs busybox-static")


def names(docker_cli, *filters, all=True):
    args = ["ps", "--format", "{{.Names}}"] + (["-a"] if all else [])
    for f in filters:
        args += ["--filter", f]
    return sorted(docker_cli(*args).stdout.decode().split())


def http_json(kedge, method, path):
    r = kedge.http().request(method, path)
    return r.status, (json.loads(r.body) if r.body else None)


def q(filters):
    return urllib.parse.quote(json.dumps(filters))


@pytest.fixture
def three(docker_cli, busybox, tmp_path):
    """web: running, label app=web, a bind mount, port 80 exposed;
    db: exited 3 with --network host and label app=db; new: created with
    --network none and no label."""
    src = tmp_path / "src"
    src.mkdir()
    docker_cli("run", "-d", "--name", "web", "--label", "app=web", "-v", "%s:/data" % src,
               "--expose", "80", "busybox", "sleep", "300")
    docker_cli("run", "--name", "db", "--network", "host", "--label", "app=db", "busybox",
               "sh", "-c", "exit 3", check=False)
    docker_cli("create", "--name", "new", "--network", "none", "busybox")
    ids = {n: docker_cli("inspect", "-f", "{{.Id}}", n).stdout.decode().strip()
           for n in ("web", "db", "new")}
    yield ids, str(src)
    docker_cli("rm", "-f", "web", "db", "new", check=False)


def test_ps_filter_every_key(docker_cli, three):
    ids, src = three
    cases = [
        ([], ["db", "new", "web"]),
        (["id=" + ids["web"][:10]], ["web"]),
        (["id=" + ids["db"]], ["db"]),
        (["name=web"], ["web"]),
        (["name=^/?n"], ["new"]),          # a regular expression, as in Docker
        (["name=e"], ["new", "web"]),     # a substring
        (["label=app"], ["db", "web"]),
        (["label=app=db"], ["db"]),
        (["label=app=web", "label=app=db"], []),   # every label must hold
        (["status=running"], ["web"]),
        (["status=exited"], ["db"]),
        (["status=created"], ["new"]),
        (["status=created", "status=exited"], ["db", "new"]),
        (["exited=3"], ["db"]),
        (["exited=0"], []),                # "new" never ran, so it has no exit code
        (["ancestor=busybox"], ["db", "new", "web"]),
        (["ancestor=busybox:latest"], ["db", "new", "web"]),
        (["ancestor=nosuch"], []),
        (["before=db"], ["web"]),          # newest first: web, db, new
        (["since=db"], ["new"]),
        (["since=web", "name=new"], ["new"]),
        (["health=none"], ["db", "new", "web"]),   # no container has a healthcheck
        (["health=healthy"], []),
        (["network=host"], ["db"]),
        (["network=none"], ["new"]),
        (["network=bridge"], []),          # kedge has no bridge yet: on no network
        (["network=nosuch"], []),
        (["volume=/data"], ["web"]),
        (["volume=" + src], ["web"]),
        (["volume=/nosuch"], []),
        (["expose=80"], ["web"]),
        (["expose=80/tcp"], ["web"]),
        (["expose=79-81"], ["web"]),
        (["expose=80/udp"], []),
        (["publish=80"], []),              # nothing is published yet
        (["is-task=false"], ["db", "new", "web"]),
        (["is-task=true"], []),
        (["isolation=default"], ["db", "new", "web"]),
        (["label=app", "status=exited"], ["db"]),
    ]
    for filters, want in cases:
        assert names(docker_cli, *filters) == want, filters
    # the image ID, full and short, names the ancestor too
    img = docker_cli("image", "inspect", "-f", "{{.Id}}", "busybox").stdout.decode().strip()
    assert names(docker_cli, "ancestor=" + img) == ["db", "new", "web"]
    assert names(docker_cli, "ancestor=" + img.split(":")[1][:12]) == ["db", "new", "web"]
    # the example: without -a, only running ones, and none on nosuch
    assert names(docker_cli, "network=nosuch", all=False) == []
    assert names(docker_cli, all=False) == ["web"]
    # a status filter shows stopped containers without -a (moby sets All)
    assert names(docker_cli, "status=exited", all=False) == ["db"]


def test_ps_limit_and_last(docker_cli, three):
    out = docker_cli("ps", "--last", "2", "--format", "{{.Names}}").stdout.decode().split()
    assert out == ["new", "db"]
    out = docker_cli("ps", "-n", "1", "--filter", "label=app",
                     "--format", "{{.Names}}").stdout.decode().split()
    assert out == ["db"]


def test_ps_bad_filters(docker_cli, kedge, three):
    cases = {
        "colour=red": "invalid filter 'colour'",
        "status=bogus": "invalid filter 'status=bogus': invalid value for state (bogus): "
                        "must be one of created, running, paused, restarting, removing, "
                        "exited, dead",
        "health=sick": "invalid filter 'health=sick': invalid value for health (sick): "
                       "must be one of none, starting, healthy, unhealthy",
        "exited=x": "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax",
        "is-task=maybe": "invalid filter 'is-task=[maybe]'",
        "publish=8080:80": "filter for 'publish' should not contain ':': 8080:80",
        "expose=http": "error while looking up for expose http: invalid start port 'http': "
                       "invalid syntax",
        "until=24h": "invalid filter 'until'",
    }
    for f, msg in cases.items():
        p = docker_cli("ps", "-a", "--filter", f, check=False)
        assert p.returncode != 0 and msg in p.stderr.decode(), (f, p.stderr)
        key, val = f.split("=", 1)
        st, body = http_json(kedge, "GET", "/containers/json?filters=" + q({key: [val]}))
        assert st == 400 and body["message"] == msg, (f, st, body)
    st, body = http_json(kedge, "GET", "/containers/json?filters=" + q({"before": ["nosuch"]}))
    assert st == 404 and body["message"] == "No such container: nosuch"
    st, body = http_json(kedge, "GET", "/containers/json?limit=x")
    assert st == 400, body
    st, body = http_json(kedge, "GET", "/containers/json?filters=" + q(["status"]))
    assert st == 400, body


def test_both_shapes_and_docker_py(kedge, docker_py, three):
    ids, _ = three
    for shape in ("lists", "maps"):
        for filters, want in (({"label": ["app=web"]}, ["web"]),
                              ({"status": ["exited", "created"]}, ["db", "new"]),
                              ({"network": ["host"], "exited": ["3"]}, ["db"]),
                              ({"name": ["web"], "id": [ids["db"][:12]]}, [])):
            f = filters if shape == "lists" else {k: {v: True for v in vs}
                                                  for k, vs in filters.items()}
            st, body = http_json(kedge, "GET", "/containers/json?all=1&filters=" + q(f))
            assert st == 200, body
            assert sorted(c["Names"][0][1:] for c in body) == want, (shape, filters)
    got = docker_py.containers.list(all=True, filters={"label": "app", "status": "exited"})
    assert [c.name for c in got] == ["db"]
    got = docker_py.containers.list(filters={"network": "nosuch"})
    assert got == []
    # the summary says what the network filter reads
    st, body = http_json(kedge, "GET", "/containers/json?all=1&filters=" + q({"name": ["db"]}))
    assert list(body[0]["NetworkSettings"]["Networks"]) == ["host"]
    assert body[0]["HostConfig"]["NetworkMode"] == "host"


def test_container_prune_label_not(docker_cli, busybox):
    for name, label in (("k1", "keep=1"), ("k2", "keep=2"), ("plain", None)):
        docker_cli("create", "--name", name, *(["--label", label] if label else []), "busybox")
    docker_cli("run", "-d", "--name", "up", "busybox", "sleep", "300")
    out = docker_cli("container", "prune", "-f", "--filter", "label!=keep=1").stdout.decode()
    assert names(docker_cli) == ["k1", "up"], out
    out = docker_cli("container", "prune", "-f", "--filter", "label=keep").stdout.decode()
    assert names(docker_cli) == ["up"], out          # a running container stays
    docker_cli("rm", "-f", "up")


def test_container_prune_until(docker_cli, kedge, busybox):
    docker_cli("create", "--name", "young", "busybox")
    docker_cli("container", "prune", "-f", "--filter", "until=24h")
    assert names(docker_cli) == ["young"]           # created less than 24h ago
    docker_cli("container", "prune", "-f", "--filter", "until=2020-01-01T00:00:00Z")
    assert names(docker_cli) == ["young"]
    st, body = http_json(kedge, "POST", "/containers/prune?filters=" + q({"until": ["24"]}))
    assert st == 200 and body["ContainersDeleted"] is None   # Unix time 24, not 24 hours
    time.sleep(2)
    docker_cli("container", "prune", "-f", "--filter", "until=1s")
    assert names(docker_cli) == []
    for bad, msg in ((["soon"], "failed to parse value as time or duration"),
                     (["1h", "2h"], "more than one until filter specified")):
        st, body = http_json(kedge, "POST", "/containers/prune?filters=" + q({"until": bad}))
        assert st == 400 and msg in body["message"], body
    st, body = http_json(kedge, "POST", "/containers/prune?filters=" + q({"status": ["exited"]}))
    assert st == 400 and body["message"] == "invalid filter 'status'"


def test_container_prune_reports_space_and_ps_size(docker_py, busybox):
    c = docker_py.containers.run("busybox", ["sh", "-c", "head -c 1048576 /dev/zero > /blob"],
                                 detach=True)
    assert c.wait()["StatusCode"] == 0
    empty = docker_py.containers.create("busybox", ["true"], labels={"empty": "1"})
    # docker ps -s: the writable layer, and that plus the image
    sizes = {x["Id"]: x for x in docker_py.api.containers(all=True, size=True)}
    image_size = docker_py.images.get("busybox").attrs["Size"]
    assert 1048576 <= sizes[c.id]["SizeRw"] < 1048576 + 65536, sizes[c.id]
    assert sizes[c.id]["SizeRootFs"] == sizes[c.id]["SizeRw"] + image_size
    assert sizes[empty.id]["SizeRw"] == 0 and sizes[empty.id]["SizeRootFs"] == image_size
    assert "SizeRw" not in docker_py.api.containers(all=True)[0]
    rep = docker_py.containers.prune(filters={"label": "empty"})
    assert rep["ContainersDeleted"] == [empty.id] and rep["SpaceReclaimed"] == 0
    rep = docker_py.containers.prune()
    assert rep["ContainersDeleted"] == [c.id]
    assert 1048576 <= rep["SpaceReclaimed"] < 1048576 + 65536, rep


def test_images_filter_label(docker_cli, docker_py, kedge):
    layer = ki.busybox_layer()
    docker_cli("load", input=ki.docker_archive([layer], tags=("lab:1",), labels={"x": "y"}))
    docker_cli("load", input=ki.docker_archive([layer], tags=("other:1",),
                                               labels={"x": "z", "k": "v"}))
    fmt = ["--format", "{{.Repository}}:{{.Tag}}"]
    out = lambda *a: sorted(docker_cli("images", *fmt, *a).stdout.decode().split())
    assert out("--filter", "label=x=y") == ["lab:1"]
    assert out("--filter", "label=x") == ["lab:1", "other:1"]
    assert out("--filter", "label=x", "--filter", "label=k=v") == ["other:1"]
    assert out("--filter", "label=nosuch") == []
    assert out("--filter", "reference=lab") == ["lab:1"]
    assert out("--filter", "reference=docker.io/library/lab:*") == ["lab:1"]
    assert out("--filter", "until=2020-01-01") == []   # made in 2024
    assert [i.tags for i in docker_py.images.list(filters={"label": "x=y"})] == [["lab:1"]]
    st, body = http_json(kedge, "GET", "/images/json?filters=" + q({"label!": ["x"]}))
    assert st == 400 and body["message"] == "invalid filter 'label!'"
    st, body = http_json(kedge, "GET", "/images/json?filters=" + q({"before": ["nosuch"]}))
    assert st == 404, body


def test_image_prune_label_not(docker_cli, docker_py, kedge):
    layer = ki.busybox_layer()
    docker_cli("load", input=ki.docker_archive([layer], tags=("keep:1",), labels={"keep": "1"}))
    docker_cli("load", input=ki.docker_archive([layer], tags=("drop:1",), labels={"keep": "2"}))
    docker_cli("image", "prune", "-a", "-f", "--filter", "label!=keep=1")
    tags = sorted(t for i in docker_py.images.list() for t in i.tags)
    assert tags == ["keep:1"]
    rep = docker_py.images.prune(filters={"dangling": False, "label": "keep=1"})
    assert rep["SpaceReclaimed"] > 0 and docker_py.images.list() == []
    st, body = http_json(kedge, "POST", "/images/prune?filters=" + q({"until": ["soon"]}))
    assert st == 400 and body["message"].startswith("invalid value for 'until' filter: "), body
    st, body = http_json(kedge, "POST", "/images/prune?filters=" + q({"dangling": ["maybe"]}))
    assert st == 400 and body["message"] == "invalid filter 'dangling=[maybe]'", body
