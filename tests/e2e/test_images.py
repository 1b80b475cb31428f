"""The image store through the real clients: docker CLI 28 and docker-py.

Archives are built by kedgetest.images from Debian's busybox-static, so no
registry is needed. Every check that something is absent looks at the data
root itself (blobs/, layers/, tmp/) and at kedge.db, opened read-only."""
import hashlib
import io
import json
import os
import signal
import socket
import sqlite3
import stat
import tarfile
import threading
import time
import urllib.parse

import pytest

from kedgetest import images as ki

BUSYBOX_MISSING = not os.path.exists(ki.BUSYBOX)
pytestmark = pytest.mark.skipif(BUSYBOX_MISSING, reason="needs busybox-static")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

_CACHE = {}


def busybox_layer():
    if "layer" not in _CACHE:
        _CACHE["layer"] = ki.busybox_layer()
    return _CACHE["layer"]


def busybox_id():
    return ki.sha(ki.make_config([busybox_layer()]))


def labelled(tag, labels, layer=None):
    """A one-layer archive whose config differs by its labels (so its ID does)."""
    layers = [layer or busybox_layer()]
    return ki.docker_archive(layers, tags=(tag,) if tag else (), labels=labels)


def short(i):
    return i.split(":", 1)[-1][:12]


def listing(docker_cli, *args):
    out = docker_cli("images", "--no-trunc", "--format",
                     "{{.Repository}}:{{.Tag}} {{.ID}}", *args).stdout.decode()
    return sorted(out.split("\n")[:-1])


def query(kedge, sql, *params):
    """Reads kedge.db without taking a write lock (the daemon keeps it in WAL)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(kedge.data_root, "kedge.db"),
                         uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def data_entries(kedge, sub):
    p = os.path.join(kedge.data_root, sub)
    return sorted(os.listdir(p)) if os.path.isdir(p) else []


def assert_store_empty(kedge):
    assert data_entries(kedge, "blobs/sha256") == []
    assert data_entries(kedge, "layers") == []
    assert data_entries(kedge, "tmp") == []
    for table in ("images", "layers", "image_layers", "image_refs"):
        assert query(kedge, "SELECT count(*) FROM " + table) == [(0,)], table


def http_json(kedge, method, path, body=None, headers=None):
    r = kedge.http(timeout=120).request(method, path, body=body, headers=headers)
    return r.status, (json.loads(r.body) if r.body.strip().startswith((b"{", b"[")) else r.body)


def load_raw(kedge, data):
    r = kedge.http(timeout=120).request("POST", "/images/load?quiet=1", body=data,
                                        headers={"Content-Type": "application/x-tar"})
    return r


def chain_ids(diff_ids):
    out, chain = [], None
    for d in diff_ids:
        chain = d if chain is None else ki.sha(("%s %s" % (chain, d)).encode())
        out.append(chain)
    return out


# --- docker CLI -----------------------------------------------------------


def test_cli_load_inspect_history_tag_save_rmi_reload(docker_cli, kedge, tmp_path):
    want = busybox_id()
    out = docker_cli("load", input=ki.busybox_archive()).stdout.decode()
    assert "Loaded image: busybox:latest" in out
    assert listing(docker_cli) == ["busybox:latest " + want]

    for cmd in (("inspect",), ("image", "inspect")):
        info = json.loads(docker_cli(*cmd, "busybox").stdout)[0]
        assert info["Id"] == want
        assert info["RepoTags"] == ["busybox:latest"]
        assert info["Config"]["Cmd"] == ["sh"]
        assert info["Os"] == "linux" and info["Architecture"] == "amd64"
        assert info["RootFS"]["Layers"] == [ki.sha(busybox_layer())]
        assert info["Created"] == "2024-01-01T00:00:00Z"
    # by ID prefix, sha256: ID, and the fully qualified name
    for name in (short(want), want, "docker.io/library/busybox:latest"):
        assert docker_cli("image", "inspect", "--format", "{{.Id}}",
                          name).stdout.decode().strip() == want

    hist = docker_cli("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}",
                      "busybox").stdout.decode().split("\n")[:-1]
    assert hist == [want + '|CMD ["sh"]', "<missing>|layer 0"]

    docker_cli("tag", "busybox", "mybox:1")
    docker_cli("tag", "busybox", "localhost:5000/team/box:v2")
    assert listing(docker_cli) == ["busybox:latest " + want, "localhost:5000/team/box:v2 " + want,
                                   "mybox:1 " + want]

    archive = tmp_path / "saved.tar"
    docker_cli("save", "-o", str(archive), "busybox", "mybox:1")
    check_saved_archive(archive.read_bytes(), {"busybox:latest": want, "mybox:1": want})

    out = docker_cli("rmi", "mybox:1").stdout.decode()
    assert out == "Untagged: mybox:1\n"
    out = docker_cli("rmi", "busybox", "localhost:5000/team/box:v2").stdout.decode()
    assert "Untagged: busybox:latest" in out
    assert "Untagged: localhost:5000/team/box:v2" in out
    assert "Deleted: " + want in out
    assert listing(docker_cli) == []
    assert data_entries(kedge, "layers") == [] and data_entries(kedge, "blobs/sha256") == []
    # The daemon names the normalised reference, as dockerd does; CLI 28
    # prints that message, while CLI 20.10 words a 404 itself with the name
    # as typed ("Error: No such image: busybox").
    p = docker_cli("rmi", "busybox", check=False)
    assert p.returncode != 0 and "No such image: busybox" in p.stderr.decode()
    r = kedge.http().request("DELETE", "/images/busybox")
    assert r.status == 404 and r.json()["message"] == "No such image: busybox:latest"

    out = docker_cli("load", "-i", str(archive)).stdout.decode()
    assert "Loaded image: busybox:latest" in out and "Loaded image: mybox:1" in out
    assert listing(docker_cli) == ["busybox:latest " + want, "mybox:1 " + want]


def test_save_two_images_and_load_gzipped(docker_cli, kedge, tmp_path):
    import gzip

    docker_cli("load", input=ki.busybox_archive())
    docker_cli("load", input=ki.multilayer_archive())
    multi = json.loads(docker_cli("image", "inspect", "multi").stdout)[0]["Id"]
    data = docker_cli("save", "busybox", "multi").stdout
    check_saved_archive(data, {"busybox:latest": busybox_id(), "multi:latest": multi})
    docker_cli("rmi", "busybox", "multi")
    assert_store_empty(kedge)
    out = docker_cli("load", input=gzip.compress(data, 1)).stdout.decode()
    assert "Loaded image: busybox:latest" in out and "Loaded image: multi:latest" in out
    assert listing(docker_cli) == ["busybox:latest " + busybox_id(), "multi:latest " + multi]
    # by ID: no tag travels, and nothing is written to "repositories"
    data = docker_cli("save", short(multi)).stdout
    check_saved_archive(data, {})
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert "repositories" not in t.getnames()


def test_cli_inspect_unknown_and_invalid(docker_cli, kedge):
    p = docker_cli("image", "inspect", "nosuch:tag", check=False)
    assert p.returncode == 1 and "No such image: nosuch:tag" in p.stderr.decode()
    st, body = http_json(kedge, "GET", "/images/UPPER%20case/json")
    assert st in (400, 404), body


def test_multilayer_on_disk(docker_cli, kedge):
    docker_cli("load", input=ki.multilayer_archive())
    info = json.loads(docker_cli("image", "inspect", "multi").stdout)[0]
    diffs = info["RootFS"]["Layers"]
    assert len(diffs) == 3
    dirs = [os.path.join(kedge.data_root, "layers", c[7:]) for c in chain_ids(diffs)]
    for d in dirs:
        assert os.path.exists(os.path.join(d, "complete")), d
    base, l2, l3 = (os.path.join(d, "diff") for d in dirs)
    assert os.path.isfile(os.path.join(base, "bin/busybox"))
    assert os.lstat(os.path.join(base, "bin/sh")).st_ino == os.lstat(
        os.path.join(base, "bin/busybox")).st_ino  # applets are hard links

    st = os.lstat(os.path.join(l2, "suid"))
    assert stat.S_IMODE(st.st_mode) == 0o4755
    assert os.readlink(os.path.join(l2, "sym")) == "/etc/passwd"  # stored as-is
    keep, hard = os.lstat(os.path.join(l2, "data/keep")), os.lstat(os.path.join(l2, "hard"))
    assert keep.st_ino == hard.st_ino and keep.st_nlink == 2

    wh = os.lstat(os.path.join(l3, "data/gone"))  # .wh.gone -> overlay whiteout
    assert stat.S_ISCHR(wh.st_mode) and wh.st_rdev == 0
    assert not os.path.lexists(os.path.join(l3, "data/.wh.gone"))
    assert os.getxattr(os.path.join(l3, "opq"), "trusted.overlay.opaque") == b"y"
    assert not os.path.lexists(os.path.join(l3, "opq/.wh..wh..opq"))
    assert open(os.path.join(l3, "opq/new"), "rb").read() == b"new"
    # inspect shows overlay2's view: the top layer as UpperDir
    assert info["GraphDriver"]["Data"]["UpperDir"] == l3
    assert info["GraphDriver"]["Data"]["LowerDir"] == l2 + ":" + base


def test_layers_shared_between_images(docker_cli, kedge):
    docker_cli("load", input=ki.busybox_archive())
    docker_cli("load", input=labelled("other:1", {"x": "y"}))
    assert len(data_entries(kedge, "layers")) == 1
    docker_cli("rmi", "busybox")
    assert len(data_entries(kedge, "layers")) == 1  # still used by other:1
    docker_cli("rmi", "other:1")
    assert data_entries(kedge, "layers") == []


def test_image_prune(docker_cli, kedge):
    docker_cli("load", input=ki.busybox_archive())
    out = docker_cli("load", input=labelled(None, {"k": "dangling"})).stdout.decode()
    dangling = out.strip().split("Loaded image ID: ")[1]
    docker_cli("load", input=labelled("keep:1", {"keep": "yes"}))
    docker_cli("load", input=labelled("drop:1", {"env": "test"}))

    out = docker_cli("image", "prune", "-f").stdout.decode()
    assert "deleted: " + dangling in out
    assert listing(docker_cli, "-a") == sorted([
        "busybox:latest " + busybox_id(),
        "drop:1 " + ki.sha(ki.make_config([busybox_layer()], labels={"env": "test"})),
        "keep:1 " + ki.sha(ki.make_config([busybox_layer()], labels={"keep": "yes"}))])

    # -a with a label filter removes only matching unused images
    out = docker_cli("image", "prune", "-a", "-f", "--filter", "label=env=test").stdout.decode()
    assert "untagged: drop:1" in out
    out = docker_cli("image", "prune", "-a", "-f", "--filter", "label!=keep").stdout.decode()
    assert "untagged: busybox:latest" in out
    assert [l.split()[0] for l in listing(docker_cli)] == ["keep:1"]
    # until: everything was created in 2024
    out = docker_cli("image", "prune", "-a", "-f", "--filter", "until=2023-01-01T00:00:00Z")
    assert "keep:1" in listing(docker_cli)[0]
    docker_cli("image", "prune", "-a", "-f", "--filter", "until=24h")
    assert listing(docker_cli) == []
    assert data_entries(kedge, "layers") == []


def test_prune_until_forms(kedge, docker_cli):
    docker_cli("load", input=ki.busybox_archive())
    base = "/images/prune?filters="
    for until in ("1600000000", "2020-01-01", "2020-01-01T00:00:00+01:00", "100000h"):
        st, body = http_json(kedge, "POST", base + urllib.parse.quote(
            json.dumps({"until": [until], "dangling": ["false"]})))
        assert st == 200 and body["ImagesDeleted"] is None, (until, body)
    st, body = http_json(kedge, "POST", base + urllib.parse.quote('{"until":["yesterday"]}'))
    assert st == 400, body
    st, body = http_json(kedge, "POST", base + urllib.parse.quote('{"bogus":["1"]}'))
    assert st == 400, body
    st, body = http_json(kedge, "POST", base + urllib.parse.quote(
        json.dumps({"until": {"%d" % (time.time() + 60): True}, "dangling": {"false": True}})))
    assert st == 200 and len(body["ImagesDeleted"]) >= 2, body


def test_import_with_changes(docker_cli, kedge):
    out = docker_cli(
        "import", "--message", "imported here",
        "--change", 'CMD ["sh", "-c", "echo hi"]', "--change", "ENV A=b C=d",
        "--change", "WORKDIR /work", "--change", 'ENTRYPOINT ["/bin/busybox"]',
        "--change", "EXPOSE 8080", "--change", "LABEL team=img tier=1",
        "--change", "USER nobody", "--change", 'VOLUME ["/data"]',
        "-", "imported:1", input=busybox_layer()).stdout.decode().strip()
    assert out.startswith("sha256:") and len(out) == 71
    info = json.loads(docker_cli("image", "inspect", "imported:1").stdout)[0]
    assert info["Id"] == out
    c = info["Config"]
    assert c["Cmd"] == ["sh", "-c", "echo hi"]
    assert "A=b" in c["Env"] and "C=d" in c["Env"]
    assert c["WorkingDir"] == "/work"
    assert c["Entrypoint"] == ["/bin/busybox"]
    assert c["ExposedPorts"] == {"8080/tcp": {}}
    assert c["Labels"] == {"team": "img", "tier": "1"}
    assert c["User"] == "nobody"
    assert c["Volumes"] == {"/data": {}}
    assert info["Comment"] == "imported here"
    assert info["RootFS"]["Layers"] == [ki.sha(busybox_layer())]
    hist = docker_cli("history", "--format", "{{.Comment}}", "imported:1").stdout.decode()
    assert "imported here" in hist
    p = docker_cli("import", "--change", "FROB x", "-", "bad:1", input=busybox_layer(),
                   check=False)
    assert p.returncode != 0 and "FROB" in p.stderr.decode()


def test_list_filters_both_shapes(docker_cli, kedge):
    docker_cli("load", input=ki.docker_archive(
        [busybox_layer()], tags=("old:1",),
        config=ki.make_config([busybox_layer()], labels={"gen": "old"}).replace(
            b"2024-01-01T00:00:00Z", b"2023-01-01T00:00:00Z", 1)))
    docker_cli("load", input=ki.busybox_archive())
    docker_cli("load", input=labelled(None, {"gen": "dangling"}))
    docker_cli("load", input=ki.docker_archive(
        [busybox_layer()], tags=("new:1",),
        config=ki.make_config([busybox_layer()], labels={"gen": "new"}).replace(
            b"2024-01-01T00:00:00Z", b"2025-01-01T00:00:00Z", 1)))

    def names(filters):
        out = {}
        for shape in ("lists", "maps"):
            f = filters if shape == "lists" else {k: {v: True for v in vs}
                                                  for k, vs in filters.items()}
            st, body = http_json(kedge, "GET", "/images/json?filters=" +
                                 urllib.parse.quote(json.dumps(f)))
            assert st == 200, body
            out[shape] = sorted(t for i in body for t in (i["RepoTags"] or ["<none>"]))
        assert out["lists"] == out["maps"], out
        return out["lists"]

    assert names({"dangling": ["true"]}) == ["<none>"]
    assert names({"dangling": ["false"]}) == ["busybox:latest", "new:1", "old:1"]
    assert names({"label": ["gen"]}) == ["<none>", "new:1", "old:1"]
    assert names({"label": ["gen=new"]}) == ["new:1"]
    assert names({"reference": ["busy*"]}) == ["busybox:latest"]
    assert names({"reference": ["*:1"]}) == ["new:1", "old:1"]
    assert names({"before": ["busybox"]}) == ["old:1"]
    assert names({"since": ["busybox"]}) == ["new:1"]
    st, body = http_json(kedge, "GET", "/images/json?filters=" +
                         urllib.parse.quote('{"colour":["red"]}'))
    assert st == 400 and "colour" in body["message"]
    st, body = http_json(kedge, "GET", "/images/json?filters=" +
                         urllib.parse.quote('{"dangling":["maybe"]}'))
    assert st == 400, body
    # the CLI's own filter flags
    out = docker_cli("images", "--filter", "dangling=true", "-q").stdout.decode().split()
    assert len(out) == 1
    assert docker_cli("images", "--filter", "label=gen=old", "--format",
                      "{{.Repository}}").stdout.decode() == "old\n"


def test_dangling_repo_tags_per_api_version(docker_cli, kedge):
    docker_cli("load", input=labelled(None, {"d": "1"}))
    st, body = http_json(kedge, "GET", "/v1.42/images/json")
    assert body[0]["RepoTags"] == ["<none>:<none>"]
    assert body[0]["RepoDigests"] == ["<none>@<none>"]
    st, body = http_json(kedge, "GET", "/v1.43/images/json")
    assert body[0]["RepoTags"] == [] and body[0]["RepoDigests"] == []
    # docker images shows it as <none> either way
    out = docker_cli("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.decode()
    assert out == "<none>:<none>\n"


def test_rmi_image_used_by_container(docker_cli, kedge):
    docker_cli("load", input=ki.busybox_archive())
    cid = docker_cli("create", "busybox", "true").stdout.decode().strip()
    p = docker_cli("rmi", "busybox", check=False)
    assert p.returncode == 1
    want = ('conflict: unable to remove repository reference "busybox" (must force) - '
            "container %s is using its referenced image %s" % (cid[:12], short(busybox_id())))
    assert want in p.stderr.decode()
    st, body = http_json(kedge, "DELETE", "/images/busybox")
    assert st == 409 and body["message"] == want
    assert listing(docker_cli) == ["busybox:latest " + busybox_id()]
    # the refused delete rolled back before touching a file
    layer = os.path.join(kedge.data_root, "layers", ki.sha(busybox_layer())[7:])
    assert os.path.exists(os.path.join(layer, "complete"))
    assert os.path.exists(os.path.join(kedge.data_root, "blobs/sha256", busybox_id()[7:]))
    docker_cli("rm", cid)
    docker_cli("rmi", "busybox")
    assert listing(docker_cli) == []


def test_rmi_force_rules_for_used_images(docker_cli, kedge):
    """Docker's rules: by name, force only untags an image a container
    uses; by ID, a running user refuses even force, a stopped one needs it
    (kedge then keeps the image for the container's layers)."""
    docker_cli("load", input=ki.busybox_archive())
    want, sid = busybox_id(), short(busybox_id())
    run = docker_cli("run", "-d", "busybox", "sleep", "1000").stdout.decode().strip()
    p = docker_cli("rmi", "-f", sid, check=False)
    assert ("conflict: unable to delete %s (cannot be forced) - image is being used by running "
            "container %s" % (sid, run[:12])) in p.stderr.decode()
    out = docker_cli("rmi", "-f", "busybox").stdout.decode()
    assert out == "Untagged: busybox:latest\n"
    assert docker_cli("images", "-q", "--no-trunc").stdout.decode().split() == [want]
    assert os.path.exists(os.path.join(kedge.data_root, "layers", ki.sha(busybox_layer())[7:],
                                       "complete"))
    # stop, then rm: `rm -f` of a running container can leave its record
    # behind in state "removing" (a container-side race, reported), which
    # would still count as a user here
    docker_cli("stop", "-t", "0", run)
    docker_cli("rm", run)

    stopped = docker_cli("create", want, "true").stdout.decode().strip()
    p = docker_cli("rmi", sid, check=False)
    assert ("conflict: unable to delete %s (must be forced) - image is being used by stopped "
            "container %s" % (sid, stopped[:12])) in p.stderr.decode()
    docker_cli("tag", want, "again:1")
    out = docker_cli("rmi", "-f", sid).stdout.decode()
    assert out == "Untagged: again:1\n"
    assert os.path.exists(os.path.join(kedge.data_root, "layers", ki.sha(busybox_layer())[7:],
                                       "complete"))
    docker_cli("start", "-a", stopped)  # its layers are still there
    docker_cli("rm", stopped)
    assert "Deleted: " + want in docker_cli("rmi", sid).stdout.decode()
    assert data_entries(kedge, "layers") == []


def test_rmi_multiple_repos_by_id_and_noprune(docker_cli, kedge):
    docker_cli("load", input=ki.busybox_archive())
    docker_cli("tag", "busybox", "other:2")
    p = docker_cli("rmi", short(busybox_id()), check=False)
    assert p.returncode == 1
    assert "image is referenced in multiple repositories" in p.stderr.decode()
    out = docker_cli("rmi", "--no-prune", "-f", short(busybox_id())).stdout.decode()
    assert "Deleted: " + busybox_id() in out
    assert listing(docker_cli) == []


def test_percent_encoded_names(docker_cli, kedge):
    docker_cli("load", input=ki.busybox_archive())
    docker_cli("tag", "busybox", "team/app:1")
    for path in ("/images/library%2Fbusybox:latest/json", "/images/busybox%3Alatest/json",
                 "/v1.32/images/team%2Fapp:1/json", "/images/docker.io%2Flibrary%2Fbusybox/json"):
        st, body = http_json(kedge, "GET", path)
        assert st == 200 and body["Id"] == busybox_id(), (path, body)
    st, body = http_json(kedge, "DELETE", "/images/team%2Fapp:1")
    assert st == 200 and body == [{"Untagged": "team/app:1"}]


# --- docker-py --------------------------------------------------------------


def test_docker_py(docker_py, kedge):
    import docker

    imgs = docker_py.images.load(ki.busybox_archive())
    assert [i.id for i in imgs] == [busybox_id()]
    img = docker_py.images.get("busybox")
    assert img.tags == ["busybox:latest"] and img.labels == {}
    assert img.history()[0]["Id"] == busybox_id()
    docker_py.images.load(labelled("lab:1", {"a": "b"}))
    assert [i.tags for i in docker_py.images.list(filters={"label": "a=b"})] == [["lab:1"]]
    assert len(docker_py.images.list()) == 2
    assert [i.tags for i in docker_py.images.list(name="busybox")] == [["busybox:latest"]]
    assert img.tag("py", "t1")
    assert sorted(docker_py.images.get(busybox_id()).tags) == ["busybox:latest", "py:t1"]

    data = b"".join(img.save(named=True))
    check_saved_archive(data, {"busybox:latest": busybox_id()})
    docker_py.images.remove("py:t1")
    docker_py.images.remove("busybox")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_py.images.get("busybox")
    assert [i.id for i in docker_py.images.load(data)] == [busybox_id()]
    docker_py.images.remove(busybox_id(), force=True)
    docker_py.images.remove("lab:1")
    assert docker_py.images.list(all=True) == []
    assert_store_empty(kedge)


# --- hostile archives and crashes ------------------------------------------


def hostile_archives():
    out = {name: (ki.docker_archive([layer], tags=("evil:%s" % name,)), entry)
           for name, (layer, entry) in ki.hostile_layers().items()}
    layer = busybox_layer()
    cfg = ki.make_config([layer])
    out["lying-config"] = (ki.docker_archive([layer], tags=("evil:c",), lie_config=True),
                           ki.sha(b"something else")[7:])
    out["lying-layer"] = (ki.docker_archive([layer], tags=("evil:l",), lie_layer=True),
                          ki.sha(layer)[7:])
    out["truncated"] = (ki.docker_archive([layer], tags=("evil:t",), truncate=True),
                        ki.sha(layer)[7:])
    assert cfg
    return out


@pytest.mark.parametrize("name", sorted(hostile_archives()))
def test_hostile_archive_refused(kedge, name):
    data, entry = hostile_archives()[name]
    r = load_raw(kedge, data)
    text = r.body.decode(errors="replace")
    if r.status == 200:  # refused in the stream after the headers went out
        msgs = [json.loads(l) for l in text.splitlines() if l.strip()]
        assert any("error" in m for m in msgs), text
    else:
        assert 400 <= r.status < 500, text
    assert entry in text, text
    assert_store_empty(kedge)
    # the daemon is fine afterwards and a good archive still loads
    assert load_raw(kedge, ki.busybox_archive()).status == 200


def test_symlink_in_lower_layer_is_not_followed_by_upper(kedge, tmp_path):
    """A symlink to the host in one layer, an entry "under" it in the next.
    Each layer is extracted into its own directory, so the upper entry
    lands in a real directory of its own layer and nothing reaches the
    host (overlayfs shows the directory over the symlink)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    l1 = ki._tar([ki._ti("esc", tarfile.SYMTYPE, link=str(outside))])
    l2 = ki._tar([ki._ti("esc/pwned", data=b"x")])
    r = load_raw(kedge, ki.docker_archive([l1, l2], tags=("two:1",)))
    assert r.status == 200 and b"Loaded image: two:1" in r.body, r.body
    assert os.listdir(outside) == []
    top = os.path.join(kedge.data_root, "layers", chain_ids([ki.sha(l1), ki.sha(l2)])[1][7:])
    assert open(os.path.join(top, "diff", "esc", "pwned"), "rb").read() == b"x"
    assert not os.path.islink(os.path.join(top, "diff", "esc"))


def big_archive(mb):
    payload = os.urandom(mb << 20)
    layer = ki._tar([ki._ti("big", data=payload)])
    return ki.docker_archive([layer], tags=("big:1",)), ki.sha(layer)


def _send_in_background(sock_path, data):
    def run():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock_path)
            s.sendall(b"POST /images/load?quiet=1 HTTP/1.1\r\nHost: d\r\n"
                      b"Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n" % len(data))
            s.sendall(data)
            s.recv(4096)
        except OSError:
            pass  # the daemon dies under us: expected
        finally:
            s.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_sigkill_during_big_load(kedge):
    data, diff_id = big_archive(200)
    t = _send_in_background(kedge.sock, data)
    tmp = os.path.join(kedge.data_root, "tmp")
    deadline = time.time() + 60
    killed_while = None
    while time.time() < deadline and killed_while is None:
        for dirpath, _, files in os.walk(tmp):
            # the layer is being unpacked (a "big" file under a scratch layer dir)
            if "big" in files and os.path.getsize(os.path.join(dirpath, "big")) > (8 << 20):
                killed_while = dirpath
                break
        else:
            time.sleep(0.005)
    assert killed_while, "the load never reached the unpack phase"
    kedge.proc.send_signal(signal.SIGKILL)
    kedge.proc.wait()
    kedge.stop()
    t.join(10)

    kedge.start()
    assert data_entries(kedge, "tmp") == []
    for d in data_entries(kedge, "layers"):  # anything left must be complete and recorded
        assert os.path.exists(os.path.join(kedge.data_root, "layers", d, "complete"))
    assert query(kedge, "SELECT count(*) FROM images") == [(0,)]
    st, body = http_json(kedge, "GET", "/images/json")
    assert body == []

    r = load_raw(kedge, data)
    assert r.status == 200 and b"Loaded image: big:1" in r.body, r.body
    st, info = http_json(kedge, "GET", "/images/big:1/json")
    assert info["RootFS"]["Layers"] == [diff_id]
    layer_dir = os.path.join(kedge.data_root, "layers", diff_id[7:])
    assert os.path.getsize(os.path.join(layer_dir, "diff", "big")) == 200 << 20
    assert os.path.exists(os.path.join(layer_dir, "complete"))


# --- formats ------------------------------------------------------------------


def check_saved_archive(data, want_tags):
    """Validates a docker save archive against Docker's documented layout:
    manifest.json entries, repositories, index.json + oci-layout, and every
    blob's digest against its file name. want_tags: familiar tag -> image ID."""
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            assert not m.name.startswith("/") and ".." not in m.name.split("/"), m.name
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
    for name, content in files.items():
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(content).hexdigest() == name.split("/")[-1], name
    manifest = json.loads(files["manifest.json"])
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    seen = {}
    for entry in manifest:
        cfg = files[entry["Config"]]
        image_id = "sha256:" + hashlib.sha256(cfg).hexdigest()
        diff_ids = json.loads(cfg)["rootfs"]["diff_ids"]
        assert len(entry["Layers"]) == len(diff_ids)
        for path, diff in zip(entry["Layers"], diff_ids):
            assert path in files, path  # the layers here are uncompressed: blob = diff ID
            assert "sha256:" + hashlib.sha256(files[path]).hexdigest() == diff
        for tag in entry["RepoTags"]:
            seen[tag] = image_id
    assert seen == want_tags
    # repositories: familiar name -> tag -> hex of the image's top layer
    assert ("repositories" in files) == bool(want_tags)  # Docker omits it when nothing is tagged
    repos = json.loads(files.get("repositories", b"{}"))
    for tag, image_id in want_tags.items():
        name, t = tag.rsplit(":", 1)
        top = next(e["Layers"][-1] for e in manifest if tag in e["RepoTags"])
        assert repos[name][t] == top.split("/")[-1]
    index = json.loads(files["index.json"])
    assert index["schemaVersion"] == 2
    refs = {}
    for desc in index["manifests"]:
        m = json.loads(files["blobs/sha256/" + desc["digest"][7:]])
        assert desc["size"] == len(files["blobs/sha256/" + desc["digest"][7:]])
        assert m["config"]["digest"] in [ki.sha(files[e["Config"]]) for e in manifest]
        for layer in m["layers"]:
            assert "blobs/sha256/" + layer["digest"][7:] in files
            assert layer["size"] == len(files["blobs/sha256/" + layer["digest"][7:]])
        name = desc.get("annotations", {}).get("io.containerd.image.name")
        if name:
            refs[name] = m["config"]["digest"]
    for tag, image_id in want_tags.items():
        full = tag if "/" in tag.split(":")[0] else "docker.io/library/" + tag
        assert refs[full] == image_id


def test_docker_archive_fixture_loads_with_config_digest_id(docker_cli, kedge):
    """A legacy docker save archive (<id>.json, <layer>/layer.tar, VERSION,
    json, repositories) as Docker before 25 wrote it, committed as a fixture."""
    path = os.path.join(FIXTURES, "docker-legacy-save.tar")
    with tarfile.open(path) as t:
        cfg_name = json.loads(t.extractfile("manifest.json").read())[0]["Config"]
        cfg = t.extractfile(cfg_name).read()
    want = "sha256:" + hashlib.sha256(cfg).hexdigest()
    with open(path, "rb") as f:
        out = docker_cli("load", input=f.read()).stdout.decode()
    assert "Loaded image: legacy:1" in out
    info = json.loads(docker_cli("image", "inspect", "legacy:1").stdout)[0]
    assert info["Id"] == want
    assert info["Config"]["Cmd"] == ["/hello"]


def test_oci_layout_archive_loads(docker_cli, kedge):
    """A plain OCI image layout (index.json, no manifest.json), as skopeo or
    buildx --output type=oci write."""
    layer = busybox_layer()
    cfg = ki.make_config([layer])
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": ki.sha(cfg), "size": len(cfg)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                "digest": ki.sha(layer), "size": len(layer)}]}).encode()
    idx = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ki.sha(m),
         "size": len(m), "annotations": {"io.containerd.image.name": "docker.io/library/oci:1",
                                         "org.opencontainers.image.ref.name": "1"}}]}).encode()
    entries = [ki._ti("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'),
               ki._ti("index.json", data=idx)]
    for blob in (cfg, layer, m):
        entries.append(ki._ti("blobs/sha256/" + ki.sha(blob)[7:], data=blob))
    docker_cli("load", input=ki._tar(entries))
    assert listing(docker_cli) == ["oci:1 " + busybox_id()]
