"""docker pull / push / login against a real registry (Debian's
docker-registry on 127.0.0.1), through the docker CLI and docker-py, and
the bad paths against a small fake registry."""
import base64
import gzip
import hashlib
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from kedgetest import images
from kedgetest.daemon import Daemon
from kedgetest.registry import Registry, TokenServer, htpasswd_line, make_ca

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"),
                                reason="docker-registry is not installed")


@pytest.fixture
def registry(tmp_path):
    r = Registry(tmp_path / "registry").start()
    yield r
    r.stop()


@pytest.fixture
def basic_registry(tmp_path):
    pw = tmp_path / "htpasswd"
    pw.write_text(htpasswd_line("alice", "s3cret"))
    r = Registry(tmp_path / "registry", auth=("htpasswd", str(pw))).start()
    yield r
    r.stop()


def cli(kedge, *args, input=None, check=True, timeout=60, config=None):
    env = dict(os.environ, DOCKER_HOST=kedge.host,
               DOCKER_CONFIG=config or str(kedge.root) + "/docker-config")
    p = subprocess.run([shutil.which("docker"), *args], env=env, capture_output=True,
                       input=input, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("docker %s failed (%d):\n%s\n%s" % (
            " ".join(args), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p


def image_id(kedge, ref):
    return cli(kedge, "image", "inspect", "-f", "{{.Id}}", ref).stdout.decode().strip()


def load(kedge, archive):
    cli(kedge, "load", input=archive)


def statuses(msgs):
    return [m.get("status", "") for m in msgs]


def test_push_rmi_pull_run_same_id(kedge, registry):
    load(kedge, images.busybox_archive())
    ref = registry.host + "/test/busybox:1"
    cli(kedge, "tag", "busybox:latest", ref)
    before = image_id(kedge, ref)
    out = cli(kedge, "push", ref).stdout.decode()
    assert "The push refers to repository [%s/test/busybox]" % registry.host in out
    assert "Pushed" in out and "1: digest: sha256:" in out
    cli(kedge, "rmi", ref, "busybox:latest")
    assert cli(kedge, "image", "inspect", ref, check=False).returncode != 0
    out = cli(kedge, "pull", ref).stdout.decode()
    assert "1: Pulling from test/busybox" in out
    assert "Pull complete" in out
    assert "Status: Downloaded newer image for %s" % ref in out
    assert image_id(kedge, ref) == before
    digests = json.loads(cli(kedge, "image", "inspect", "-f", "{{json .RepoDigests}}",
                             ref).stdout)
    assert len(digests) == 1 and digests[0].startswith(registry.host + "/test/busybox@sha256:")
    out = cli(kedge, "pull", ref).stdout.decode()
    assert "Already exists" in out and "Status: Image is up to date for %s" % ref in out
    run = cli(kedge, "run", "--rm", ref, "echo", "pulled-and-ran")
    assert run.stdout.decode().strip() == "pulled-and-ran"
    # By digest, after removing everything.
    cli(kedge, "rmi", ref)
    out = cli(kedge, "pull", digests[0]).stdout.decode()
    assert "Status: Downloaded newer image for %s" % digests[0] in out
    assert image_id(kedge, digests[0]) == before


def test_pull_progress_objects_docker_py(kedge, registry, docker_py):
    load(kedge, images.multilayer_archive(registry.host + "/test/multi:2"))
    for m in docker_py.api.push(registry.host + "/test/multi", tag="2", stream=True,
                                decode=True):
        assert "error" not in m, m
    docker_py.api.remove_image(registry.host + "/test/multi:2")
    msgs = list(docker_py.api.pull(registry.host + "/test/multi", tag="2", stream=True,
                                   decode=True))
    st = statuses(msgs)
    assert st[0] == "Pulling from test/multi" and msgs[0]["id"] == "2"
    layer_ids = {m["id"] for m in msgs if m.get("status") == "Pulling fs layer"}
    assert len(layer_ids) == 3 and all(len(i) == 12 for i in layer_ids)
    dl = [m for m in msgs if m.get("status") == "Downloading"]
    assert dl and all(m["progressDetail"]["total"] >= m["progressDetail"]["current"] for m in dl)
    for s in ("Verifying Checksum", "Download complete", "Pull complete"):
        assert sum(1 for x in st if x == s) == 3, (s, st)
    assert st[-2].startswith("Digest: sha256:")
    assert st[-1] == "Status: Downloaded newer image for %s/test/multi:2" % registry.host
    # The high-level call returns the image.
    img = docker_py.images.pull(registry.host + "/test/multi", tag="2")
    assert registry.host + "/test/multi:2" in img.tags


def test_push_layer_already_exists_and_mount(kedge, registry, docker_py):
    load(kedge, images.busybox_archive(registry.host + "/test/base:1"))
    cli(kedge, "push", registry.host + "/test/base:1")
    load(kedge, images.multilayer_archive(registry.host + "/test/base:multi"))
    msgs = list(docker_py.api.push(registry.host + "/test/base", tag="multi", stream=True,
                                   decode=True))
    st = statuses(msgs)
    assert "Layer already exists" in st, st
    assert st.count("Pushed") == 2
    aux = [m["aux"] for m in msgs if "aux" in m]
    assert aux and aux[0]["Tag"] == "multi" and aux[0]["Digest"].startswith("sha256:")
    # Another repository of the same registry: the base layer is mounted.
    cli(kedge, "tag", registry.host + "/test/base:multi", registry.host + "/other/x:1")
    out = cli(kedge, "push", registry.host + "/other/x:1").stdout.decode()
    assert "Mounted from test/" in out, out


GZIP_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def _manifest(registry, repo, ref):
    """The manifest as the registry serves it, and its digest."""
    st, _, body = registry.request(
        "GET", "/v2/%s/manifests/%s" % (repo, ref),
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert st == 200, (st, body)
    return json.loads(body), "sha256:" + hashlib.sha256(body).hexdigest()


def _pushed_digest(out):
    last = [line for line in out.splitlines() if ": digest: sha256:" in line][-1]
    return last.split("digest: ")[1].split()[0]


def test_push_compresses_loaded_layers(kedge, registry):
    load(kedge, images.busybox_archive())
    ref = registry.host + "/test/gz:1"
    cli(kedge, "tag", "busybox:latest", ref)
    before = image_id(kedge, ref)
    diff_ids = json.loads(cli(kedge, "image", "inspect", "-f", "{{json .RootFS.Layers}}",
                              ref).stdout)
    digest = _pushed_digest(cli(kedge, "push", ref).stdout.decode())
    m, mdig = _manifest(registry, "test/gz", "1")
    assert mdig == digest
    assert m["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert [l["mediaType"] for l in m["layers"]] == [GZIP_LAYER]
    layer = m["layers"][0]
    st, _, blob = registry.request("GET", "/v2/test/gz/blobs/" + layer["digest"])
    assert st == 200 and blob[:2] == b"\x1f\x8b"
    assert "sha256:" + hashlib.sha256(blob).hexdigest() == layer["digest"]
    assert len(blob) == layer["size"]
    assert images.sha(gzip.decompress(blob)) == diff_ids[0]
    # The second push finds the recorded gzip blob: nothing goes up again.
    out = cli(kedge, "push", ref).stdout.decode()
    assert "Layer already exists" in out and "Pushed" not in out, out
    assert _pushed_digest(out) == digest
    # Pulled back: the same image (config and diff IDs unchanged), and it runs.
    cli(kedge, "rmi", ref, "busybox:latest")
    out = cli(kedge, "pull", ref).stdout.decode()
    assert "Digest: " + digest in out
    assert image_id(kedge, ref) == before
    assert cli(kedge, "run", "--rm", ref, "echo", "gz").stdout.strip() == b"gz"
    # From the pulled (gzip) blob the push is the same manifest.
    out = cli(kedge, "push", ref).stdout.decode()
    assert "Layer already exists" in out and "Pushed" not in out, out
    assert _pushed_digest(out) == digest


def test_push_compressed_progress_docker_py(kedge, registry, docker_py):
    # A layer that compresses to more than one 4 MiB upload chunk.
    big = images._tar([images._ti("big", data=os.urandom(6 << 20))])
    repo = registry.host + "/test/chunked"
    load(kedge, images.docker_archive([images.busybox_layer(), big], tags=(repo + ":1",)))
    before = image_id(kedge, repo + ":1")
    msgs = list(docker_py.api.push(repo, tag="1", stream=True, decode=True))
    assert all("error" not in m for m in msgs), msgs
    st = statuses(msgs)
    assert st[0] == "The push refers to repository [%s]" % repo
    prepared = [m["id"] for m in msgs if m.get("status") == "Preparing"]
    assert len(prepared) == 2 and all(len(i) == 12 for i in prepared)
    pushing = [m for m in msgs if m.get("status") == "Pushing"]
    assert pushing and all(set(m) == {"status", "progressDetail", "progress", "id"}
                           for m in pushing)
    assert all(0 < m["progressDetail"]["current"] <= m["progressDetail"]["total"]
               for m in pushing)
    assert sorted(m["id"] for m in msgs if m.get("status") == "Pushed") == sorted(prepared)
    aux = [m["aux"] for m in msgs if "aux" in m]
    assert len(aux) == 1 and aux[0]["Tag"] == "1"
    assert st[-2] == "1: digest: %s size: %d" % (aux[0]["Digest"], aux[0]["Size"])
    m, mdig = _manifest(registry, "test/chunked", "1")
    assert mdig == aux[0]["Digest"]
    assert [l["mediaType"] for l in m["layers"]] == [GZIP_LAYER] * 2
    assert m["layers"][1]["size"] > 4 << 20
    # Again: every layer already exists, the same digest.
    again = list(docker_py.api.push(repo, tag="1", stream=True, decode=True))
    assert statuses(again).count("Layer already exists") == 2
    assert [m["aux"] for m in again if "aux" in m] == aux
    docker_py.api.remove_image(repo + ":1")
    cli(kedge, "pull", repo + ":1")
    assert image_id(kedge, repo + ":1") == before


class LossyUploadRegistry:
    """Accepts upload sessions but answers each PATCH with a Range that
    says it kept only 10 bytes; records the methods it saw."""

    def __init__(self):
        self.seen = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, code, headers=()):
                fake.seen.append(self.command)
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                self.reply(200 if self.path == "/v2/" else 404)

            def do_HEAD(self):
                self.reply(404)

            def do_POST(self):
                self.reply(202, [("Location", "/v2/x/blobs/uploads/u1?_state=a")])

            def do_PATCH(self):
                self.reply(202, [("Location", "/v2/x/blobs/uploads/u1?_state=b"),
                                 ("Range", "0-9")])

            def do_PUT(self):
                self.reply(201)

            def do_DELETE(self):
                self.reply(204)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_push_chunk_lost_is_an_error(kedge):
    fake = LossyUploadRegistry()
    try:
        ref = "127.0.0.1:%d/x:1" % fake.port
        load(kedge, images.busybox_archive(ref))
        p = cli(kedge, "push", ref, check=False)
        out = p.stdout.decode() + p.stderr.decode()
        assert p.returncode != 0 and "the registry holds 0-9 after" in out, out
        # Never committed; the session is cancelled.
        assert "PUT" not in fake.seen and "DELETE" in fake.seen, fake.seen
    finally:
        fake.stop()


def test_pull_errors(kedge, registry):
    p = cli(kedge, "pull", registry.host + "/test/nothing:1", check=False)
    assert p.returncode != 0
    assert ("manifest for %s/test/nothing:1 not found: manifest unknown"
            % registry.host) in p.stderr.decode()
    # Registry down: a clear error naming the address, quickly.
    port = registry.port
    registry.stop()
    t = time.time()
    p = cli(kedge, "pull", "127.0.0.1:%d/test/x:1" % port, check=False)
    assert p.returncode != 0 and time.time() - t < 10
    assert "127.0.0.1:%d" % port in p.stderr.decode()
    # Nothing half-made.
    assert cli(kedge, "images", "-q").stdout.strip() == b""
    p = cli(kedge, "push", "127.0.0.1:%d/test/x:1" % port, check=False)
    assert "An image does not exist locally with the tag" in p.stderr.decode()


def test_login_basic_cli_and_docker_py(kedge, basic_registry, docker_py, tmp_path):
    cfg = str(tmp_path / "cfg")
    p = cli(kedge, "login", "-u", "alice", "--password-stdin", basic_registry.host,
            input=b"wrong\n", check=False, config=cfg)
    assert p.returncode != 0 and "401" in p.stderr.decode() + p.stdout.decode()
    p = cli(kedge, "login", "-u", "alice", "--password-stdin", basic_registry.host,
            input=b"s3cret\n", config=cfg)
    assert "Login Succeeded" in p.stdout.decode()
    # Pull and push with the stored credentials (X-Registry-Auth).
    load(kedge, images.busybox_archive(basic_registry.host + "/priv/bb:1"))
    cli(kedge, "push", basic_registry.host + "/priv/bb:1", config=cfg)
    cli(kedge, "rmi", basic_registry.host + "/priv/bb:1")
    p = cli(kedge, "pull", basic_registry.host + "/priv/bb:1", check=False)
    assert p.returncode != 0  # no credentials
    cli(kedge, "pull", basic_registry.host + "/priv/bb:1", config=cfg)
    # docker-py
    r = docker_py.login("alice", "s3cret", registry=basic_registry.host, reauth=True)
    assert r["Status"] == "Login Succeeded"
    import docker
    with pytest.raises(docker.errors.APIError) as e:
        docker_py.login("alice", "nope", registry=basic_registry.host, reauth=True)
    assert e.value.status_code == 401


def test_bearer_token_auth(kedge, tmp_path):
    ts = TokenServer(tmp_path / "token", {"bob": "pw"}).start()
    reg = Registry(tmp_path / "registry",
                   auth=("token", ts.realm, ts.service, ts.issuer, ts.cert)).start()
    try:
        cfg = str(tmp_path / "cfg")
        p = cli(kedge, "login", "-u", "bob", "--password-stdin", reg.host, input=b"bad\n",
                check=False, config=cfg)
        assert p.returncode != 0
        cli(kedge, "login", "-u", "bob", "--password-stdin", reg.host, input=b"pw\n", config=cfg)
        load(kedge, images.busybox_archive(reg.host + "/public/bb:1"))
        cli(kedge, "tag", reg.host + "/public/bb:1", reg.host + "/private/bb:1")
        cli(kedge, "push", reg.host + "/public/bb:1", config=cfg)
        cli(kedge, "push", reg.host + "/private/bb:1", config=cfg)
        cli(kedge, "rmi", reg.host + "/public/bb:1", reg.host + "/private/bb:1")
        # Anonymous token: public pulls work, private ones are denied.
        cli(kedge, "pull", reg.host + "/public/bb:1")
        p = cli(kedge, "pull", reg.host + "/private/bb:1", check=False)
        assert p.returncode != 0
        assert "pull access denied for %s/private/bb" % reg.host in p.stderr.decode()
        cli(kedge, "pull", reg.host + "/private/bb:1", config=cfg)
        assert any("scope=repository" in r for r in ts.requests)
    finally:
        reg.stop()
        ts.stop()


def test_tls_registry_with_certs_dir(tmp_path):
    ca, crt, key = make_ca(str(tmp_path / "pki"))
    reg = Registry(tmp_path / "registry", tls=(crt, key)).start()
    certs = tmp_path / "certs.d" / reg.host
    certs.mkdir(parents=True)
    shutil.copy(ca, certs / "ca.crt")
    d = Daemon(root=str(tmp_path / "k"), extra_args=["--certs-dir", str(tmp_path / "certs.d")])
    os.makedirs(d.root, exist_ok=True)
    d.start()
    try:
        load(d, images.busybox_archive(reg.host + "/tls/bb:1"))
        cli(d, "push", reg.host + "/tls/bb:1")
        cli(d, "rmi", reg.host + "/tls/bb:1")
        out = cli(d, "pull", reg.host + "/tls/bb:1").stdout.decode()
        assert "Downloaded newer image" in out
        # A CA that does not match is refused (no silent downgrade).
        other_ca, _, _ = make_ca(str(tmp_path / "pki2"))
        shutil.copy(other_ca, certs / "ca.crt")
        cli(d, "rmi", reg.host + "/tls/bb:1")
        p = cli(d, "pull", reg.host + "/tls/bb:1", check=False)
        assert p.returncode != 0 and "https://%s/v2/" % reg.host in p.stderr.decode()
    finally:
        assert d.stop() == 0
        reg.stop()


def _config(arch, layer):
    cfg = json.loads(images.make_config([layer]))
    cfg["architecture"] = arch
    if arch == "arm64":
        cfg["variant"] = "v8"
    return json.dumps(cfg).encode()


def test_index_picks_platform(kedge, registry):
    layer = images.busybox_layer()
    ldig, lsize = registry.put_blob("multi/bb", layer)
    entries = []
    ids = {}
    for arch in ("arm64", "amd64"):
        cfg = _config(arch, layer)
        cdig, csize = registry.put_blob("multi/bb", cfg)
        ids[arch] = cdig
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                   "digest": cdig, "size": csize},
                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                    "digest": ldig, "size": lsize}]}).encode()
        mdig = registry.put_manifest("multi/bb", arch, m, "application/vnd.oci.image.manifest.v1+json")
        plat = {"os": "linux", "architecture": arch}
        if arch == "arm64":
            plat["variant"] = "v8"
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": mdig, "size": len(m), "platform": plat})
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": entries}).encode()
    idig = registry.put_manifest("multi/bb", "latest", idx, "application/vnd.oci.image.index.v1+json")
    out = cli(kedge, "pull", registry.host + "/multi/bb").stdout.decode()
    assert "Digest: %s" % idig in out
    assert image_id(kedge, registry.host + "/multi/bb") == ids["amd64"]
    cli(kedge, "pull", "--platform", "linux/arm64", registry.host + "/multi/bb")
    assert image_id(kedge, registry.host + "/multi/bb") == ids["arm64"]
    p = cli(kedge, "pull", "--platform", "linux/s390x", registry.host + "/multi/bb", check=False)
    assert "no matching manifest for linux/s390x" in p.stderr.decode()


def test_mirror_serves_docker_hub_names(tmp_path):
    reg = Registry(tmp_path / "registry").start()
    d = Daemon(root=str(tmp_path / "k"), extra_args=["--registry-mirror", reg.url])
    os.makedirs(d.root, exist_ok=True)
    d.start()
    try:
        load(d, images.busybox_archive(reg.host + "/library/busybox:latest"))
        cli(d, "push", reg.host + "/library/busybox:latest")
        cli(d, "rmi", reg.host + "/library/busybox:latest")
        out = cli(d, "pull", "busybox").stdout.decode()
        assert "Status: Downloaded newer image for busybox:latest" in out
        assert cli(d, "run", "--rm", "busybox", "echo", "mirrored").stdout.strip() == b"mirrored"
        info = json.loads(cli(d, "info", "-f", "{{json .RegistryConfig}}").stdout)
        assert info["Mirrors"] == [reg.url]
    finally:
        assert d.stop() == 0
        reg.stop()


class FakeRegistry:
    """Imitates the registry API for one repository 'fake/img:1' whose last
    layer is served according to mode: 'mismatch' (other bytes),
    'truncated', 'bomb' (a 5 MB manifest), 'slow' (trickles), 'pause' (sends
    part of it, then waits until resume() before the rest), 'ok'. extra:
    layers served in full before it."""

    def __init__(self, mode, extra=()):
        self.mode = mode
        self.layer = images.busybox_layer()
        self.layers = list(extra) + [self.layer]
        self.config = images.make_config(self.layers)
        self.sent = 0                       # bytes of the last layer written
        self.paused = threading.Event()     # set once 'pause' has stopped sending
        self.resumed = threading.Event()
        self.finished = False               # the last layer was sent whole
        d = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()  # noqa: E731
        self.manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": d(self.config), "size": len(self.config)},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                        "digest": d(l), "size": len(l)} for l in self.layers]}).encode()
        if mode == "bomb":
            self.manifest = self.manifest[:-1] + b',"pad":"' + b"x" * (5 << 20) + b'"}'
        self.blobs = {d(self.config): self.config}
        self.blobs.update((d(l), l) for l in self.layers)
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body, ctype="application/json", length=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def trickle(self, blob, upto, chunk, delay):
                while fake.sent < upto:
                    n = min(chunk, upto - fake.sent)
                    self.wfile.write(blob[fake.sent:fake.sent + n])
                    self.wfile.flush()
                    fake.sent += n
                    time.sleep(delay)

            def paused_layer(self, blob):
                self.send_response(200)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                try:
                    # A third, in pieces (so progress is reported), then a stop.
                    self.trickle(blob, len(blob) // 3, 32 << 10, 0.02)
                    fake.paused.set()
                    fake.resumed.wait(60)
                    self.trickle(blob, len(blob), 64 << 10, 0)
                    fake.finished = True
                except OSError:
                    pass
                self.close_connection = True

            def do_GET(self):
                p = self.path
                if p == "/v2/":
                    return self.send(200, b"{}")
                if p.startswith("/v2/fake/img/manifests/"):
                    return self.send(200, fake.manifest,
                                     "application/vnd.docker.distribution.manifest.v2+json")
                dig = p.rsplit("/", 1)[-1]
                blob = fake.blobs.get(dig)
                if blob is None:
                    return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}')
                if blob is fake.layer and fake.mode == "mismatch":
                    blob = bytes(reversed(blob))
                if blob is fake.layer and fake.mode == "truncated":
                    self.send(200, blob[: len(blob) // 2], "application/octet-stream", len(blob))
                    self.close_connection = True
                    return
                if blob is fake.layer and fake.mode == "pause":
                    return self.paused_layer(blob)
                if blob is fake.layer and fake.mode == "slow":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(blob)))
                    self.end_headers()
                    for i in range(0, len(blob), 4096):
                        self.wfile.write(blob[i:i + 4096])
                        time.sleep(0.05)
                    return
                self.send(200, blob, "application/octet-stream")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def resume(self):
        self.resumed.set()

    @property
    def ref(self):
        return "127.0.0.1:%d/fake/img:1" % self.port

    def stop(self):
        self.resumed.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def assert_nothing_stored(kedge):
    assert cli(kedge, "images", "-q").stdout.strip() == b""
    data = os.path.join(kedge.data_root, "layers")
    assert os.listdir(data) == []
    assert os.listdir(os.path.join(kedge.data_root, "tmp")) == []


@pytest.mark.parametrize("mode,words", [
    ("mismatch", "verification failed for digest"),
    ("truncated", "unexpected EOF"),
    ("bomb", "byte limit"),
])
def test_bad_registry_refused(kedge, mode, words):
    fake = FakeRegistry(mode)
    try:
        t = time.time()
        p = cli(kedge, "pull", fake.ref, check=False)
        out = p.stdout.decode() + p.stderr.decode()
        assert p.returncode != 0 and words in out, out
        assert time.time() - t < 20
        assert_nothing_stored(kedge)
    finally:
        fake.stop()


def store_problems(data_root, complete=True):
    """What is inconsistent between the database and layers/, blobs/ and
    tmp/ of a data root: records pointing at nothing, and (complete=True)
    files no record accounts for. Empty when all agree."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_root, "kedge.db"), uri=True)
    try:
        q = lambda sql: [r[0] if len(r) == 1 else r for r in db.execute(sql)]  # noqa: E731
        images_ = set(q("SELECT id FROM images"))
        layers = dict(q("SELECT chain_id, blob FROM layers"))
        image_layers = q("SELECT image_id, chain_id FROM image_layers")
        refs = q("SELECT ref, image_id FROM image_refs")
    finally:
        db.close()
    on_disk = lambda sub: set(os.listdir(os.path.join(data_root, sub)))  # noqa: E731
    layer_dirs, blob_files = on_disk("layers"), on_disk("blobs/sha256")
    hexes = lambda ds: {d.split(":", 1)[1] for d in ds}  # noqa: E731
    problems = []
    problems += ["image %s: no config blob" % i for i in images_ - set(
        "sha256:" + b for b in blob_files)]
    problems += ["layer %s: no directory" % c for c in layers
                 if not os.path.isdir(os.path.join(data_root, "layers", c[7:], "diff"))]
    problems += ["layer %s: no blob %s" % (c, b) for c, b in layers.items()
                 if b[7:] not in blob_files]
    problems += ["image_layers %s -> %s: missing" % (i, c) for i, c in image_layers
                 if i not in images_ or c not in layers]
    problems += ["ref %s -> %s: no image" % (r, i) for r, i in refs if i not in images_]
    if complete:
        problems += ["layers/%s: no record" % d for d in layer_dirs - hexes(layers)]
        problems += ["blobs/sha256/%s: no record" % b
                     for b in blob_files - hexes(images_) - hexes(layers.values())]
        problems += ["tmp/%s: left behind" % t for t in on_disk("tmp")]
        problems += ["image %s: no layers" % i for i in images_
                     if i not in {il[0] for il in image_layers}]
    return problems


def test_kill9_mid_pull_then_pull_again(tmp_path):
    import docker
    # Two layers: a small one served whole, busybox's paused a third in.
    small = images._tar([images._ti("etc/small", data=b"x" * 1000)])
    fake = FakeRegistry("pause", extra=[small])
    d = Daemon(root=str(tmp_path / "k"))
    os.makedirs(d.root, exist_ok=True)
    d.start()
    client = docker.APIClient(base_url=d.host, version="auto", timeout=30)
    try:
        msgs = []

        def read():
            try:
                for m in client.pull(fake.ref.rsplit(":", 1)[0], tag="1", stream=True,
                                     decode=True):
                    msgs.append(m)
            except Exception:  # noqa: BLE001 - the daemon is killed under it
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        got = lambda: max([m["progressDetail"].get("current", 0) for m in list(msgs)  # noqa: E731
                           if m.get("status") == "Downloading"] or [0])
        deadline = time.time() + 20
        while time.time() < deadline and not (got() > 0 and fake.paused.is_set()):
            time.sleep(0.05)
        assert not any("error" in m for m in msgs), msgs
        # The kill lands mid-transfer: the daemon has reported bytes of the
        # paused layer, the registry stopped sending a third in and has not
        # sent the rest.
        assert got() > 0 and fake.paused.is_set(), msgs
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        assert 0 < fake.sent < len(fake.layer) and not fake.finished
        d.log.close()
        d.proc = None
        client.close()
        fake.resume()
        # No record points at nothing, even before the start-up sweep...
        assert store_problems(d.data_root, complete=False) == []
        d.start()
        # ...and after it nothing on disk is unreferenced, tmp/ is empty.
        assert store_problems(d.data_root) == []
        assert cli(d, "images", "-q").stdout.strip() == b""
        fake.mode = "ok"
        out = cli(d, "pull", fake.ref).stdout.decode()
        assert "Downloaded newer image" in out
        assert cli(d, "run", "--rm", fake.ref, "cat", "/etc/small").stdout == b"x" * 1000
        # (--rm's directory is removed in the background, via tmp/trash-*.)
        deadline = time.time() + 10
        while store_problems(d.data_root) and time.time() < deadline:
            time.sleep(0.1)
        assert store_problems(d.data_root) == []
        assert d.stop() == 0
        # A complete image: every layer recorded and present.
        assert store_problems(d.data_root) == []
    finally:
        client.close()
        d.stop()
        fake.stop()


def test_x_registry_auth_invalid_is_400(kedge):
    r = kedge.http().request("POST", "/images/create?fromImage=127.0.0.1:1/x&tag=1",
                             headers={"X-Registry-Auth": "!!!not base64!!!"})
    assert r.status == 400
    token = base64.urlsafe_b64encode(b"[1,2]").decode()
    r = kedge.http().request("POST", "/images/x/push", headers={"X-Registry-Auth": token})
    assert r.status == 400
