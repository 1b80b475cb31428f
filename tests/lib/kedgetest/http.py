"""A raw HTTP/1.1 client over a Unix socket, for protocol-level checks."""
import http.client
import json
import socket


class _Conn(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)


class UnixHTTP:
    """Keeps one connection open across requests (keep-alive)."""

    def __init__(self, path, timeout=10):
        self.conn = _Conn(path, timeout)

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        return Response(r.status, r.headers, data)

    def close(self):
        self.conn.close()
