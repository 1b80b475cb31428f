"""A real registry for the pull/push tests: Debian's docker-registry (the
CNCF distribution registry) on 127.0.0.1:<free port> with a temporary
storage directory; variants with htpasswd basic auth, with TLS (a CA the
test makes with openssl) and with bearer tokens from a small token server."""
import base64
import hashlib
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

REGISTRY_BIN = "/usr/bin/docker-registry"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("registry exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("registry did not listen on %d" % port)


def htpasswd_line(user, password):
    out = subprocess.run(["htpasswd", "-nbB", user, password], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip() + "\n"


def make_ca(dir, name="127.0.0.1"):
    """A self-signed CA and a server certificate for name (IP SAN). Returns
    (ca_crt, server_crt, server_key)."""
    os.makedirs(dir, exist_ok=True)
    ca_key, ca_crt = os.path.join(dir, "ca.key"), os.path.join(dir, "ca.crt")
    key, csr, crt = (os.path.join(dir, "server." + e) for e in ("key", "csr", "crt"))
    ext = os.path.join(dir, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:%s,DNS:localhost\n" % name)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
        ca_crt, "-days", "2", "-subj", "/CN=kedge test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj",
        "/CN=%s" % name)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
        "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


class Registry:
    """One docker-registry process. auth: None, ("htpasswd", path) or
    ("token", realm, service, issuer, cert_bundle); tls: (crt, key)."""

    def __init__(self, root, auth=None, tls=None):
        self.root = str(root)
        self.port = free_port()
        self.storage = os.path.join(self.root, "storage")
        self.auth = auth
        self.tls = tls
        self.proc = None

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "%s://%s" % ("https" if self.tls else "http", self.host)

    def config(self):
        lines = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
                 "storage:", "  filesystem:", "    rootdirectory: %s" % self.storage,
                 "  delete:", "    enabled: true", "http:", "  addr: %s" % self.host,
                 "  secret: kedge-test-secret"]
        if self.tls:
            lines += ["  tls:", "    certificate: %s" % self.tls[0], "    key: %s" % self.tls[1]]
        if self.auth and self.auth[0] == "htpasswd":
            lines += ["auth:", "  htpasswd:", "    realm: kedge-test", "    path: %s" % self.auth[1]]
        if self.auth and self.auth[0] == "token":
            _, realm, service, issuer, bundle = self.auth
            lines += ["auth:", "  token:", "    realm: %s" % realm, "    service: %s" % service,
                      "    issuer: %s" % issuer, "    rootcertbundle: %s" % bundle]
        return "\n".join(lines) + "\n"

    def start(self):
        os.makedirs(self.storage, exist_ok=True)
        cfg = os.path.join(self.root, "registry.yml")
        with open(cfg, "w") as f:
            f.write(self.config())
        self.log = open(os.path.join(self.root, "registry.log"), "ab")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    # Raw registry API, for tests that build manifests by hand.
    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def put_blob(self, repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        st, h, _ = self.request("POST", "/v2/%s/blobs/uploads/" % repo)
        assert st == 202, st
        loc = h["Location"]
        if loc.startswith("/"):
            loc = self.url + loc
        sep = "&" if "?" in loc else "?"
        req = urllib.request.Request(loc + sep + "digest=" + digest, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 201
        return digest, len(data)

    def put_manifest(self, repo, ref, body, media_type):
        st, h, b = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), data=body,
                                headers={"Content-Type": media_type})
        assert st == 201, (st, b)
        return "sha256:" + hashlib.sha256(body).hexdigest()


class TokenServer:
    """A bearer token server for docker-registry's token auth: signs RS256
    JWTs with a key whose self-signed certificate the registry trusts.
    users: {name: password}; anonymous requests get pull scopes of repos
    under "public/"."""

    def __init__(self, root, users, service="kedge-registry", issuer="kedge-token"):
        self.root = str(root)
        self.users = users
        self.service = service
        self.issuer = issuer
        self.port = free_port()
        self.key = os.path.join(self.root, "token.key")
        self.cert = os.path.join(self.root, "token.crt")
        os.makedirs(self.root, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        self.key, "-out", self.cert, "-days", "2", "-subj", "/CN=token"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.requests = []

    @property
    def realm(self):
        return "http://127.0.0.1:%d/token" % self.port

    def _sign(self, claims):
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")  # noqa: E731
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]}
        signing = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing,
                             check=True, capture_output=True).stdout
        return (signing + b"." + b64(sig)).decode()

    def _grant(self, user, scopes):
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            actions = parts[2].split(",")
            if user is None:
                actions = [a for a in actions if a == "pull" and parts[1].startswith("public/")]
            if actions:
                access.append({"type": "repository", "name": parts[1], "actions": actions})
        now = int(time.time())
        return self._sign({"iss": self.issuer, "sub": user or "", "aud": self.service,
                           "exp": now + 300, "nbf": now - 10, "iat": now,
                           "jti": os.urandom(8).hex(), "access": access})

    def start(self):
        server = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                from urllib.parse import parse_qs, urlparse
                q = parse_qs(urlparse(self.path).query)
                server.requests.append(self.path)
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                    if server.users.get(u) != p:
                        body = json.dumps({"details": "incorrect username or password"}).encode()
                        self.send_response(401)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    user = u
                tok = server._grant(user, q.get("scope", []))
                body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
