"""Pull of gzip layers through both inflaters: igzip (ISA-L, used when it
is on the daemon's PATH) and libarchive's zlib (the fallback). Both must
give the same image, and both must refuse a layer that is not gzip inside
although it says so, leaving nothing behind."""
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

import pytest

from kedgetest.daemon import Daemon
from kedgetest.http import UnixHTTP
from kedgetest.registry import Registry

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"),
                                reason="docker-registry is not installed")

GZ = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IGZIP = shutil.which("igzip")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for i in range(40):
            data = (b"line %d of a file that compresses\n" % i) * (200 * (i + 1))
            ti = tarfile.TarInfo("data/f%02d" % i)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def push(reg, repo, blob, diff):
    dig, size = reg.put_blob(repo, blob)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
    cdig, csize = reg.put_blob(repo, cfg)
    m = json.dumps({"schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                               "digest": cdig, "size": csize},
                    "layers": [{"mediaType": GZ, "digest": dig, "size": size}]}).encode()
    reg.put_manifest(repo, "latest", m, "application/vnd.docker.distribution.manifest.v2+json")
    return cdig


@pytest.fixture(params=[True, False] if IGZIP else [False], ids=lambda v: "igzip" if v else "zlib")
def setup(tmp_path, request):
    """A registry and a daemon whose PATH has igzip or not."""
    env = dict(os.environ)
    if not request.param:
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if not (p and os.path.exists(os.path.join(p, "igzip"))))
    reg = Registry(tmp_path / "reg").start()
    d = Daemon(root=str(tmp_path / "k"), env=env)
    os.makedirs(d.root, exist_ok=True)
    d.start()
    yield reg, d
    d.stop()
    reg.stop()
    assert not d.crash_lines()


def pull(d, ref):
    r = UnixHTTP(d.sock, timeout=60).request("POST", "/images/create?fromImage=%s&tag=latest" % ref)
    return r.status, r.body


def test_gzip_layer_pulls_the_same(setup):
    reg, d = setup
    raw = layer_tar()
    cid = push(reg, "g/img", gzip.compress(raw, 6), sha(raw))
    status, body = pull(d, reg.host + "/g/img")
    assert status == 200 and b'"error"' not in body, body
    assert b"Downloaded newer image" in body
    layers = os.path.join(d.data_root, "layers")
    (chain,) = os.listdir(layers)
    assert os.path.exists(os.path.join(layers, chain, "complete"))
    with open(os.path.join(layers, chain, "diff", "data", "f07"), "rb") as f:
        assert f.read() == (b"line 7 of a file that compresses\n") * 1600
    assert os.path.exists(os.path.join(d.data_root, "blobs", "sha256", cid[7:]))


def test_broken_gzip_layer_leaves_nothing(setup):
    reg, d = setup
    raw = layer_tar()
    good = gzip.compress(raw, 6)
    bad = good[:10] + bytes(b ^ 0x5A for b in good[10:4000]) + good[4000:]
    push(reg, "g/bad", bad, sha(raw))
    status, body = pull(d, reg.host + "/g/bad")
    assert status != 200 or b'"error"' in body, body
    assert os.listdir(os.path.join(d.data_root, "layers")) == []
    assert os.listdir(os.path.join(d.data_root, "tmp")) == []
    # the daemon still pulls a good image afterwards
    push(reg, "g/img", good, sha(raw))
    status, body = pull(d, reg.host + "/g/img")
    assert status == 200 and b'"error"' not in body, body
