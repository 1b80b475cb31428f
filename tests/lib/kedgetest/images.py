"""Build image archives without Docker Hub: busybox from Debian's
busybox-static, multi-layer archives, and hostile ones."""
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time

BUSYBOX = "/bin/busybox"


def _tar(entries):
    """entries: list of (TarInfo, bytes-or-None). Returns tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _ti(name, type=tarfile.REGTYPE, data=b"", mode=0o644, link="", mtime=1700000000):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.mtime = mtime
    ti.linkname = link
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    return ti, (data if type == tarfile.REGTYPE else None)


def busybox_layer():
    """A root file system: /bin/busybox, its applet links, /etc files."""
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
    e = [_ti("bin", tarfile.DIRTYPE, mode=0o755), _ti("etc", tarfile.DIRTYPE, mode=0o755),
         _ti("tmp", tarfile.DIRTYPE, mode=0o1777), _ti("bin/busybox", data=bb, mode=0o755)]
    for a in sorted(set(applets)):
        if a != "busybox":
            e.append(_ti("bin/" + a, tarfile.LNKTYPE, link="bin/busybox"))
    e.append(_ti("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"))
    e.append(_ti("etc/group", data=b"root:x:0:\nnogroup:x:65534:\n"))
    return _tar(e)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_config(layers, cmd=("sh",), labels=None):
    hist = [{"created": "2024-01-01T00:00:00Z", "created_by": "layer %d" % i}
            for i in range(len(layers))]
    hist.append({"created": "2024-01-01T00:00:00Z", "created_by": 'CMD ["sh"]', "empty_layer": True})
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": {"Cmd": list(cmd), "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                      "Labels": labels},
           "rootfs": {"type": "layers", "diff_ids": [sha(l) for l in layers]},
           "history": hist}
    return json.dumps(cfg, separators=(",", ":")).encode()


def docker_archive(layers, tags=("busybox:latest",), config=None, lie_config=False,
                   lie_layer=False, truncate=False, labels=None):
    """A docker-save style archive (Docker >= 25 layout, manifest.json)."""
    config = config or make_config(layers, labels=labels)
    cdig = sha(config)
    if lie_config:
        cdig = sha(b"something else")
    entries = [_ti("blobs", tarfile.DIRTYPE, mode=0o755), _ti("blobs/sha256", tarfile.DIRTYPE, mode=0o755),
               _ti("blobs/sha256/" + cdig[7:], data=config)]
    paths = []
    for l in layers:
        d = sha(l)
        data = l[: len(l) // 2] if truncate else l
        if lie_layer:
            data = l + b"\0" * 1024
        entries.append(_ti("blobs/sha256/" + d[7:], data=data))
        paths.append("blobs/sha256/" + d[7:])
    manifest = [{"Config": "blobs/sha256/" + cdig[7:], "RepoTags": list(tags), "Layers": paths}]
    entries.append(_ti("manifest.json", data=json.dumps(manifest).encode()))
    entries.append(_ti("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'))
    return _tar(entries)


def busybox_archive(tag="busybox:latest"):
    return docker_archive([busybox_layer()], tags=(tag,))


def multilayer_archive(tag="multi:latest"):
    base = busybox_layer()
    l2 = _tar([_ti("data", tarfile.DIRTYPE, mode=0o755), _ti("data/keep", data=b"keep"),
               _ti("data/gone", data=b"gone"), _ti("opq", tarfile.DIRTYPE, mode=0o755),
               _ti("opq/old", data=b"old"), _ti("suid", data=b"#!/bin/sh\n", mode=0o4755),
               _ti("hard", tarfile.LNKTYPE, link="data/keep"),
               _ti("sym", tarfile.SYMTYPE, link="/etc/passwd")])
    l3 = _tar([_ti("data/.wh.gone"), _ti("opq", tarfile.DIRTYPE, mode=0o755),
               _ti("opq/.wh..wh..opq"), _ti("opq/new", data=b"new")])
    return docker_archive([base, l2, l3], tags=(tag,))


def hostile_layers():
    """name -> (layer tar, the entry name the refusal must mention)."""
    return {
        "traversal": (_tar([_ti("../escape", data=b"x")]), "../escape"),
        "absolute": (_tar([_ti("/abs", data=b"x")]), "/abs"),
        "symlinked-parent": (_tar([_ti("lnk", tarfile.SYMTYPE, link="/tmp"),
                                   _ti("lnk/evil", data=b"x")]), "lnk/evil"),
        "link-outside": (_tar([_ti("evil", tarfile.LNKTYPE, link="../../etc/passwd")]), "evil"),
        "absolute-link": (_tar([_ti("evil", tarfile.LNKTYPE, link="/etc/shadow")]), "evil"),
    }
