"""Text that comes from data (non-ASCII, invalid UTF-8, longer than any
fixed buffer) on its way through error messages and JSON: the daemon
answers with an error and keeps running, before and after a restart."""
import json
import subprocess

import pytest


def test_long_non_ascii_command_fails_cleanly(docker_cli, busybox, kedge):
    path = "/" + "\u00e9" * 600  # 1201 bytes: longer than the old 1 KiB message buffer
    p = docker_cli("run", "--name", "utf8cmd", "busybox", path, check=False)
    assert p.returncode != 0
    err = p.stderr.decode()
    assert "\u00e9\u00e9\u00e9" in err, err  # the message is valid UTF-8, not replaced
    assert kedge.proc.poll() is None, kedge.read_log()[-2000:]
    info = json.loads(docker_cli("inspect", "utf8cmd").stdout)[0]
    assert info["Path"] == path
    assert info["State"]["Running"] is False
    assert info["State"]["Error"] == "" or "\u00e9" in info["State"]["Error"]
    # After a restart the record is read back from disk and rendered again.
    assert kedge.stop() == 0
    kedge.start()
    info = json.loads(docker_cli("inspect", "utf8cmd").stdout)[0]
    assert info["Path"] == path
    assert kedge.proc.poll() is None
    docker_cli("rm", "utf8cmd")


def test_invalid_utf8_in_request_data_is_not_fatal(kedge):
    """Invalid UTF-8 from a client in a name, a label or a command: a 4xx or
    a stored value with the bad bytes replaced, never a crash."""
    h = kedge.http()
    body = b'{"Image":"busybox","Cmd":["/x\xff\xfe"],"Labels":{"k\xc3":"v\xe9"}}'
    r = h.request("POST", "/containers/create?name=a%ff%fe", body=body,
                  headers={"Content-Type": "application/json"})
    assert 400 <= r.status < 500, r.body
    assert "message" in r.json()
    r = h.request("GET", "/containers/%ff%c3%28/json")
    assert r.status == 404 and "message" in r.json()
    r = h.request("GET", "/images/%ff%c3%28/json")
    assert r.status in (400, 404) and "message" in r.json()
    assert h.request("GET", "/_ping").status == 200
