"""docker create/run: every option kedge accepts is carried out, the rest is
refused with a 400 naming it (issue 9). Through the real docker CLI and
docker-py."""
import json
import os

import pytest

from kedgetest import images as ki

JH = {"Content-Type": "application/json"}
_LAYER = {}


def _base_layer():
    if "l" not in _LAYER:
        _LAYER["l"] = ki.busybox_layer()
    return _LAYER["l"]


def load_image(kedge, tag, passwd=None, group=None, config_extra=None):
    """busybox plus a layer with its own /etc/passwd and /etc/group, and
    extra fields in the image config (Healthcheck, Volumes ...)."""
    layers = [_base_layer()]
    files = []
    if passwd is not None:
        files.append(ki._ti("etc/passwd", data=passwd.encode()))
    if group is not None:
        files.append(ki._ti("etc/group", data=group.encode()))
    if files:
        layers.append(ki._tar([ki._ti("etc", ki.tarfile.DIRTYPE, mode=0o755)] + files))
    cfg = json.loads(ki.make_config(layers))
    cfg["config"].update(config_extra or {})
    arch = ki.docker_archive(layers, tags=(tag,), config=json.dumps(cfg).encode())
    r = kedge.http(timeout=60).request("POST", "/images/load?quiet=1", body=arch,
                                       headers={"Content-Type": "application/x-tar"})
    assert r.status == 200, r.body
    return tag


def create(kedge, body, name=None):
    body = dict({"Image": "busybox", "Cmd": ["true"]}, **body)
    q = "?name=" + name if name else ""
    return kedge.http().request("POST", "/containers/create" + q,
                                body=json.dumps(body).encode(), headers=JH)


# --- 1. HostConfig.Mounts ---------------------------------------------------

def test_mount_bind_readonly_cli(docker_cli, busybox, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("from-host\n")
    out = docker_cli("run", "--rm", "--mount",
                     "type=bind,source=%s,target=/data,readonly" % src, "busybox", "sh", "-c",
                     "cat /data/f; touch /data/new 2>/dev/null || echo ro").stdout
    assert out == b"from-host\nro\n"
    # writable without readonly, and the write lands on the host
    docker_cli("run", "--rm", "--mount", "type=bind,src=%s,dst=/data" % src, "busybox",
               "touch", "/data/new")
    assert (src / "new").exists()


@pytest.mark.parametrize("runtime", ["", "runc"])
def test_readonly_bind_is_readonly_all_the_way_down(docker_cli, busybox, tmp_path, runtime):
    """Docker 25+ makes a read-only bind recursively read-only: a mount
    under the source (another disk, a tmpfs) must not stay writable."""
    import subprocess

    sub = tmp_path / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(sub)], check=True)
    try:
        rt = ["--runtime", runtime] if runtime else []
        script = "touch /d/top 2>/dev/null || echo top-ro; touch /d/sub/x 2>/dev/null || echo sub-ro"
        for opt in (["--mount", "type=bind,source=%s,target=/d,readonly" % tmp_path],
                    ["-v", "%s:/d:ro" % tmp_path]):
            out = docker_cli("run", "--rm", *rt, *opt, "busybox", "sh", "-c", script).stdout
            assert out == b"top-ro\nsub-ro\n", (opt, out)
        assert not (sub / "x").exists()
    finally:
        subprocess.run(["umount", "-l", str(sub)], check=True)


def test_mount_inspect(docker_cli, busybox, tmp_path):
    docker_cli("create", "--name", "mnt", "--mount", "type=bind,src=%s,dst=/d,readonly" % tmp_path,
               "--mount", "type=tmpfs,dst=/t", "-v", "%s:/v" % tmp_path, "busybox")
    mounts = json.loads(docker_cli("inspect", "-f", "{{json .Mounts}}", "mnt").stdout)
    by_dst = {m["Destination"]: m for m in mounts}
    assert by_dst["/d"]["Type"] == "bind" and by_dst["/d"]["RW"] is False
    assert by_dst["/d"]["Source"] == str(tmp_path)
    assert by_dst["/t"]["Type"] == "tmpfs" and by_dst["/t"]["RW"] is True
    assert by_dst["/v"]["RW"] is True and by_dst["/v"]["Propagation"] == "rprivate"


def test_mount_bind_docker_py(docker_py, busybox, tmp_path):
    from docker.types import Mount

    (tmp_path / "f").write_text("py\n")
    out = docker_py.containers.run(
        "busybox", ["sh", "-c", "cat /d/f; touch /d/x 2>/dev/null || echo ro"], remove=True,
        mounts=[Mount("/d", str(tmp_path), type="bind", read_only=True)])
    assert out == b"py\nro\n"


def test_docker_py_volumes_are_binds(docker_py, kedge, busybox, tmp_path):
    """docker-py puts each bind's container path in Config.Volumes too: a
    path a bind covers is no anonymous volume (as dockerd sees it)."""
    (tmp_path / "f").write_text("dp\n")
    assert docker_py.containers.run("busybox", ["cat", "/ctr/f"], remove=True, volumes={
        str(tmp_path): {"bind": "/ctr", "mode": "ro"}}) == b"dp\n"
    assert docker_py.containers.run("busybox", ["cat", "/ctr/f"], remove=True,
                                    volumes=["%s:/ctr:ro" % tmp_path]) == b"dp\n"
    # the same body as the API sees it: docker-py names the target "/ct"
    r = create(kedge, {"Volumes": {"/ct": {}}, "HostConfig": {"Binds": ["%s:/ctr:ro" % tmp_path]}})
    assert r.status == 201 and any("/ct " in w for w in r.json()["Warnings"]), r.body
    r = create(kedge, {"Volumes": {"/cx": {}}, "HostConfig": {"Binds": ["%s:/ctr:ro" % tmp_path]}})
    assert r.status == 400 and "anonymous volume '/cx'" in r.json()["message"], r.body
    load_image(kedge, "vol:2", config_extra={"Volumes": {"/data": {}}})
    r = create(kedge, {"Image": "vol:2", "HostConfig": {"Binds": ["%s:/data" % tmp_path]}})
    assert r.status == 201 and not any("volume" in w for w in r.json()["Warnings"]), r.body


def test_mount_bind_missing_source(docker_cli, busybox, tmp_path):
    p = docker_cli("create", "--mount", "type=bind,source=%s/nope,target=/d" % tmp_path,
                   "busybox", check=False)
    assert p.returncode != 0
    assert ('invalid mount config for type "bind": bind source path does not exist: %s/nope'
            % tmp_path) in p.stderr.decode()
    assert docker_cli("ps", "-aq").stdout == b""


def test_mount_bind_propagation(docker_cli, busybox, tmp_path):
    out = docker_cli("run", "--rm", "--mount",
                     "type=bind,source=%s,target=/d,bind-propagation=rshared" % tmp_path,
                     "busybox", "grep", " /d ", "/proc/self/mountinfo").stdout.decode()
    assert "shared:" in out, out
    p = docker_cli("create", "--mount", "type=bind,source=%s,target=/d,bind-propagation=bogus"
                   % tmp_path, "busybox", check=False)
    assert p.returncode != 0  # the CLI or the daemon refuses it


def test_mount_tmpfs_size_and_mode(docker_cli, busybox, kedge):
    out = docker_cli("run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770",
                     "busybox", "sh", "-c", "stat -c %a /t; grep ' /t ' /proc/mounts"
                     ).stdout.decode().split("\n")
    assert out[0] == "1770"
    assert "size=1024k" in out[1] and "tmpfs" in out[1]
    out = docker_cli("run", "--rm", "--mount", "type=tmpfs,target=/t,readonly", "busybox", "sh",
                     "-c", "touch /t/x 2>/dev/null || echo ro").stdout
    assert out == b"ro\n"
    r = create(kedge, {"HostConfig": {"Mounts": [{"Type": "tmpfs", "Target": "/t",
                                                  "TmpfsOptions": {"SizeBytes": -5}}]}})
    assert r.status == 400 and "SizeBytes" in r.json()["message"]


@pytest.mark.parametrize("mount", [
    {"Type": "volume", "Target": "/v"},
    {"Type": "volume", "Source": "named", "Target": "/v"},
    {"Type": "npipe", "Source": "x", "Target": "/v"},
    {"Type": "bind", "Source": "relative", "Target": "/v"},
    {"Type": "bind", "Source": "/tmp", "Target": "rel"},
    {"Type": "bind", "Source": "/tmp", "Target": "/v", "Consistency": "bogus"},
    {"Type": "bind", "Source": "/tmp", "Target": "/v", "TmpfsOptions": {"SizeBytes": 1}},
])
def test_mount_refused(kedge, busybox, mount):
    r = create(kedge, {"HostConfig": {"Mounts": [mount]}})
    assert r.status == 400, r.body
    if mount["Type"] == "volume":
        assert "volume" in r.json()["message"]


def test_volume_forms_refused_and_binds_work(docker_cli, busybox, tmp_path):
    p = docker_cli("create", "--mount", "type=volume,target=/v", "busybox", check=False)
    assert p.returncode != 0 and "volume" in p.stderr.decode()
    p = docker_cli("create", "-v", "/anon", "busybox", check=False)  # anonymous volume
    assert p.returncode != 0 and "volume" in p.stderr.decode()
    p = docker_cli("create", "-v", "named:/v", "busybox", check=False)
    assert p.returncode != 0 and "volume" in p.stderr.decode()
    (tmp_path / "f").write_text("v\n")
    assert docker_cli("run", "--rm", "-v", "%s:/d:ro" % tmp_path, "busybox", "cat",
                      "/d/f").stdout == b"v\n"
    # -v creates a missing host directory, as Docker does
    docker_cli("run", "--rm", "-v", "%s/made:/d" % tmp_path, "busybox", "true")
    assert (tmp_path / "made").is_dir()


# --- 2. --group-add and the image user's groups -----------------------------

GROUP = "root:x:0:\nwheel:x:10:root,app\naudio:x:29:\nstaff:x:50:app\nnogroup:x:65534:\n"
PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"


def test_group_add(docker_cli, kedge, busybox):
    load_image(kedge, "groups:1", passwd=PASSWD, group=GROUP)
    # root is in wheel in this image's /etc/group
    assert docker_cli("run", "--rm", "groups:1", "id", "-G").stdout == b"0 10\n"
    out = docker_cli("run", "--rm", "--group-add", "audio", "--group-add", "4242", "groups:1",
                     "id", "-G").stdout.decode().split()
    assert sorted(out) == ["0", "10", "29", "4242"]
    out = docker_cli("run", "--rm", "-u", "app", "groups:1", "id", "-G").stdout.decode().split()
    assert sorted(out) == ["10", "1000", "50"]
    p = docker_cli("run", "--rm", "--group-add", "nosuchgroup", "groups:1", "true", check=False)
    assert p.returncode != 0 and "nosuchgroup" in p.stderr.decode()


def test_group_add_docker_py(docker_py, kedge, busybox):
    load_image(kedge, "groups:1", passwd=PASSWD, group=GROUP)
    out = docker_py.containers.run("groups:1", ["id", "-G"], group_add=["staff", 7], remove=True)
    assert sorted(out.decode().split()) == ["0", "10", "50", "7"]


# --- 3. checked numbers from the image's passwd and group --------------------

@pytest.mark.parametrize("passwd,group,user", [
    ("u:x:1x0:0::/:/bin/sh\n", "root:x:0:\n", "u"),
    ("u:x:100:0x::/:/bin/sh\n", "root:x:0:\n", "u"),
    ("u:x::0::/:/bin/sh\n", "root:x:0:\n", "u"),
    ("u:x:99999999999:0::/:/bin/sh\n", "root:x:0:\n", "u"),
    ("u:x:-1:0::/:/bin/sh\n", "root:x:0:\n", "u"),
    ("root:x:0:0::/:/bin/sh\n", "g:x:1z:\n", "0:g"),
    ("root:x:0:0::/:/bin/sh\n", "g:x:1z:\n", "0:99999999999"),
])
def test_malformed_passwd_is_an_error_not_root(docker_cli, kedge, busybox, passwd, group, user):
    load_image(kedge, "badpw:1", passwd=passwd, group=group)
    p = docker_cli("run", "--rm", "-u", user, "badpw:1", "id", "-u", check=False)
    assert p.returncode != 0, p.stdout
    assert p.stdout == b""
    assert "invalid" in p.stderr.decode().lower() or "range" in p.stderr.decode(), p.stderr


def test_malformed_group_member_line_is_an_error(docker_cli, kedge, busybox):
    load_image(kedge, "badgr:1", passwd=PASSWD, group="root:x:0:\nbad:x:7q:root\n")
    p = docker_cli("run", "--rm", "badgr:1", "id", "-G", check=False)
    assert p.returncode != 0 and "invalid" in p.stderr.decode().lower()


# --- 4. options kedge does not carry out are refused --------------------------

REFUSED_CLI = [
    (["--restart", "on-failure:2"], "restart policy 'on-failure'"),
    (["--restart", "always"], "restart policy 'always'"),
    (["--restart", "unless-stopped"], "restart policy 'unless-stopped'"),
    (["--health-cmd", "true"], "healthcheck"),
    (["--device-cgroup-rule", "c 1:3 mr"], "DeviceCgroupRules"),
    (["--device", "/dev/null:/dev/mynull"], "Devices"),
    (["--link", "other:alias"], "Links"),
    (["--mac-address", "02:42:ac:11:00:02"], "MacAddress"),
    (["-p", "8080:80"], "PortBindings"),
    (["-P", "--expose", "80"], "PublishAllPorts"),
    (["--dns", "1.1.1.1"], "Dns"),
    (["--dns-search", "example.com"], "DnsSearch"),
    (["--dns-option", "ndots:2"], "DnsOptions"),
    (["--cpuset-cpus", "0"], "CpusetCpus"),
    (["--cpuset-mems", "0"], "CpusetMems"),
    (["--blkio-weight", "300"], "BlkioWeight"),
    (["--device-read-bps", "/dev/null:1mb"], "BlkioDeviceReadBps"),
    (["--oom-kill-disable"], "OomKillDisable"),
    (["--oom-score-adj", "100"], "OomScoreAdj"),
    (["--memory-swappiness", "10"], "MemorySwappiness"),
    (["--cgroup-parent", "foo"], "CgroupParent"),
    (["--sysctl", "net.ipv4.ip_forward=1"], "Sysctls"),
    (["--ipc", "host"], "IpcMode"),
    (["--pid", "host"], "PidMode"),
    (["--uts", "host"], "UTSMode"),
    (["--cgroupns", "host"], "CgroupnsMode"),
    (["--volumes-from", "other"], "VolumesFrom"),
    (["--volume-driver", "local"], "VolumeDriver"),
    (["--storage-opt", "size=1G"], "StorageOpt"),
    (["--cpu-rt-runtime", "100"], "CpuRealtimeRuntime"),
    (["--gpus", "all"], "DeviceRequests"),
    (["--log-driver", "nosuch"], "logger: no log driver named 'nosuch' is registered"),
    (["--log-driver", "syslog"], "syslog"),
    (["--add-host", "h:host-gateway"], "host-gateway"),
]


@pytest.mark.parametrize("args,words", REFUSED_CLI, ids=[a[0][0] for a in REFUSED_CLI])
def test_refused_options_cli(docker_cli, busybox, args, words):
    p = docker_cli("create", *args, "busybox", "true", check=False)
    assert p.returncode != 0, "accepted %s" % args
    err = p.stderr.decode()
    assert words in err, err
    assert docker_cli("ps", "-aq").stdout == b""


REFUSED_API = [
    ({"Healthcheck": {"Test": ["CMD", "true"]}}, "healthcheck"),
    ({"Volumes": {"/anon": {}}}, "volume"),
    ({"NetworkDisabled": True}, "NetworkDisabled"),
    ({"HostConfig": {"RestartPolicy": {"Name": "bogus"}}}, "invalid restart policy"),
    ({"HostConfig": {"KernelMemory": 10485760}}, "KernelMemory"),
    ({"HostConfig": {"Isolation": "hyperv"}}, "Isolation"),
    ({"HostConfig": {"MaskedPaths": ["/etc"]}}, "MaskedPaths"),
    ({"HostConfig": {"CpuCount": 2}}, "CpuCount"),
    ({"HostConfig": {"IOMaximumBandwidth": 5}}, "IOMaximumBandwidth"),
    ({"HostConfig": {"BlkioWeightDevice": [{"Path": "/dev/sda", "Weight": 10}]}},
     "BlkioWeightDevice"),
    ({"HostConfig": {"Frobnicate": 1}}, None),  # unknown fields are ignored, as dockerd does
    ({"NetworkingConfig": {"EndpointsConfig": {"other": {}}}}, "other"),
    ({"NetworkingConfig": {"EndpointsConfig": {"bridge": {"Links": ["a:b"]}}}}, "Links"),
    ({"NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}}, "Aliases"),
    ({"HostConfig": {"NetworkMode": "container:other"}}, "NetworkMode 'container:other'"),
    ({"HostConfig": {"RestartPolicy": {"Name": "no", "MaximumRetryCount": 3}}}, "on-failure"),
    ({"HostConfig": {"LogConfig": {"Type": "json-file", "Config": {"compress": "true"}}}},
     "compress"),
    ({"HostConfig": {"LogConfig": {"Type": "json-file", "Config": {"frob": "1"}}}},
     "unknown log opt 'frob' for json-file log driver"),
    ({"HostConfig": {"ExtraHosts": ["name:not-an-ip"]}}, "invalid IP address in add-host"),
    # CLI 28 sends these; CLI 20.10 lacks --annotation and drops --ip on the default network
    ({"HostConfig": {"Annotations": {"a": "b"}}}, "Annotations"),
    ({"NetworkingConfig": {"EndpointsConfig": {"default": {"IPAMConfig": {
        "IPv4Address": "10.0.0.5"}}}}}, "IPAMConfig"),
]


@pytest.mark.parametrize("body,words", REFUSED_API)
def test_refused_options_api(kedge, busybox, body, words):
    r = create(kedge, body)
    if words is None:
        assert r.status == 201, r.body
        return
    assert r.status == 400, r.body
    assert words in r.json()["message"], r.json()


def test_healthcheck_none_and_disable_are_accepted(docker_cli, busybox, kedge):
    docker_cli("run", "--rm", "--no-healthcheck", "busybox", "true")
    assert create(kedge, {"Healthcheck": {"Test": ["NONE"]}}).status == 201
    assert create(kedge, {"Healthcheck": {"Test": []}}).status == 201  # inherit: image has none
    load_image(kedge, "hc:1", config_extra={"Healthcheck": {"Test": ["CMD-SHELL", "true"]}})
    p = docker_cli("create", "hc:1", "true", check=False)
    assert p.returncode != 0 and "healthcheck" in p.stderr.decode()
    docker_cli("run", "--rm", "--no-healthcheck", "hc:1", "true")
    # null and an empty Test take the image's, as in dockerd's merge
    for body in ({"Healthcheck": None}, {"Healthcheck": {"Test": [], "Interval": 5000000000}}):
        r = create(kedge, dict(body, Image="hc:1"))
        assert r.status == 400 and "HEALTHCHECK" in r.json()["message"], (body, r.body)
    # an image Healthcheck without Test (data from an image) must not take the daemon down
    load_image(kedge, "hc:2", config_extra={"Healthcheck": {"Interval": 5}})
    assert create(kedge, {"Image": "hc:2", "Healthcheck": {"Test": []}}).status == 201


def test_image_volumes_are_warned_not_faked(kedge, busybox):
    load_image(kedge, "vol:1", config_extra={"Volumes": {"/data": {}}})
    r = create(kedge, {"Image": "vol:1"})
    assert r.status == 201, r.body
    assert any("/data" in w and "volume" in w for w in r.json()["Warnings"]), r.json()


def test_network_not_found(kedge, busybox):
    r = create(kedge, {"HostConfig": {"NetworkMode": "nosuch"}})
    assert r.status == 404 and r.json()["message"] == "network nosuch not found"


def test_restart_no_and_extra_hosts_work(docker_cli, busybox):
    docker_cli("run", "--rm", "--userns", "host", "--ipc", "private", "busybox", "true")
    out = docker_cli("run", "--rm", "--restart", "no", "--add-host", "myhost:10.1.2.3",
                     "busybox", "cat", "/etc/hosts").stdout.decode()
    assert "10.1.2.3\tmyhost" in out


def test_extra_hosts_both_forms(docker_py, busybox):
    # CLI 25+ sends "name=ip" (the only form for IPv6); older clients "name:ip"
    out = docker_py.containers.run("busybox", ["cat", "/etc/hosts"], remove=True,
                                   extra_hosts=["v6=fd00::1", "v4:10.9.8.7"]).decode()
    assert "fd00::1\tv6" in out and "10.9.8.7\tv4" in out


def test_defaults_of_every_client_accepted(docker_cli, docker_py, busybox, kedge):
    """What CLI 28, docker-py and compose send when no option is given."""
    assert docker_cli("run", "--rm", "busybox", "echo", "ok").stdout == b"ok\n"
    assert docker_py.containers.run("busybox", ["echo", "ok"], remove=True) == b"ok\n"
    c = docker_py.api.create_container("busybox", ["true"], host_config=docker_py.api.create_host_config())
    docker_py.api.remove_container(c["Id"])
    # compose-style body: explicit nulls and zero values everywhere
    hc = {k: None for k in ("Binds", "Links", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts",
                            "VolumesFrom", "CapAdd", "CapDrop", "GroupAdd", "SecurityOpt",
                            "Devices", "DeviceCgroupRules", "DeviceRequests", "Mounts",
                            "Tmpfs", "Ulimits", "Sysctls", "PortBindings", "StorageOpt",
                            "BlkioWeightDevice", "MaskedPaths", "ReadonlyPaths", "Annotations")}
    hc.update({"Memory": 0, "MemorySwap": 0, "MemorySwappiness": None, "OomKillDisable": None,
               "PidsLimit": None, "CpuShares": 0, "CpusetCpus": "", "IpcMode": "", "PidMode": "",
               "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}, "Init": None,
               "NetworkMode": "bridge", "LogConfig": {"Type": "json-file", "Config": None},
               "PublishAllPorts": False, "Isolation": "default", "CgroupnsMode": "private"})
    r = create(kedge, {"Healthcheck": None, "MacAddress": "", "ExposedPorts": {"80/tcp": {}},
                       "StopTimeout": None, "HostConfig": hc,
                       "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": None,
                                                                           "MacAddress": ""}}}})
    assert r.status == 201, r.body


# --- 5. numbers ----------------------------------------------------------------

BAD_NUMBERS = [
    ("Memory", 1.5, "wrong type"), ("Memory", "1g", "wrong type"), ("Memory", -2, "Memory"),
    ("Memory", 1 << 62, "Memory"), ("Memory", 2 ** 64, None),
    ("CpuShares", -1, "CpuShares"), ("CpuShares", 1 << 40, "CpuShares"),
    ("MemorySwap", -7, "MemorySwap"), ("ShmSize", -1, "ShmSize"), ("ShmSize", 1.5, "wrong type"),
    ("ShmSize", 1 << 62, "ShmSize"),
    ("PidsLimit", -5, "PidsLimit"), ("PidsLimit", True, "wrong type"),
    ("NanoCpus", -1, "NanoCpus"), ("CpuQuota", -5, "CpuQuota"), ("CpuQuota", 500, "CpuQuota"),
    ("CpuPeriod", 10, "CpuPeriod"), ("CpuPeriod", 2000000, "CpuPeriod"),
    ("ConsoleSize", [1, -1], "ConsoleSize"), ("ConsoleSize", [1, 2, 3], "ConsoleSize"),
    ("ConsoleSize", [70000, 1], "ConsoleSize"),
    ("Ulimits", [{"Name": "nofile", "Soft": -3, "Hard": 10}], "Ulimits"),
    ("Ulimits", [{"Name": "nofile", "Soft": 20, "Hard": 10}], "Ulimits"),
    ("Ulimits", [{"Name": "nosuch", "Soft": 1, "Hard": 1}], "nosuch"),
    ("Ulimits", [{"Name": "nofile", "Soft": 1.5, "Hard": 2}], "wrong type"),
    ("Ulimits", ["nofile"], "Ulimits"),
]


@pytest.mark.parametrize("key,value,words", BAD_NUMBERS)
def test_bad_numbers_are_400(kedge, busybox, key, value, words):
    body = json.dumps({"Image": "busybox", "Cmd": ["true"], "HostConfig": {key: value}})
    r = kedge.http().request("POST", "/containers/create", body=body.encode(), headers=JH)
    assert r.status == 400, r.body
    if words:
        assert words in r.json()["message"], r.json()
    assert kedge.http().request("GET", "/_ping").status == 200


@pytest.mark.parametrize("value", [1.5, -2, 1 << 40, "10"])
def test_bad_stop_timeout(kedge, busybox, value):
    r = create(kedge, {"StopTimeout": value})
    assert r.status == 400 and "StopTimeout" in r.json()["message"], r.body


def test_good_numbers_are_carried_out(docker_cli, busybox):
    docker_cli("run", "--rm", "-m", "64m", "--memory-swap", "-1", "--shm-size", "8m",
               "--pids-limit", "-1", "--cpus", "0.5", "--cpu-shares", "512", "--ulimit",
               "nproc=100:200", "busybox", "true")
    out = docker_cli("run", "--rm", "--shm-size", "8m", "busybox", "sh", "-c",
                     "grep /dev/shm /proc/mounts").stdout.decode()
    assert "size=8192k" in out


def test_memory_reservation_is_a_soft_limit(docker_cli, busybox, kedge):
    cid = docker_cli("run", "-d", "--memory-reservation", "12m", "busybox", "sleep", "100"
                     ).stdout.decode().strip()
    try:
        v1 = "/sys/fs/cgroup/memory/kedge/%s/memory.soft_limit_in_bytes" % cid
        v2 = "/sys/fs/cgroup/kedge/%s/memory.low" % cid
        path = v1 if os.path.exists("/sys/fs/cgroup/memory") else v2
        with open(path) as f:  # says which cgroup version it checked when it fails
            assert int(f.read()) == 12 * 1024 * 1024, path
    finally:
        docker_cli("rm", "-f", cid)
    for body, words in [({"MemoryReservation": 1024}, "Minimum memory reservation allowed is 6MB"),
                        ({"MemoryReservation": 64 << 20, "Memory": 32 << 20},
                         "Minimum memory limit can not be less than memory reservation limit")]:
        r = create(kedge, {"HostConfig": body})
        assert r.status == 400 and words in r.json()["message"], r.body


# --- 6. what inspect says about networks -------------------------------------

def test_inspect_networks_true(docker_cli, busybox, kedge):
    docker_cli("create", "--name", "dflt", "busybox", "true")
    docker_cli("create", "--name", "nonet", "--network", "none", "busybox", "true")
    docker_cli("create", "--name", "hostnet", "--network", "host", "busybox", "true")
    h = kedge.http()
    assert h.request("GET", "/containers/dflt/json").json()["NetworkSettings"]["Networks"] == {}
    assert list(h.request("GET", "/containers/nonet/json").json()
                ["NetworkSettings"]["Networks"]) == ["none"]
    assert list(h.request("GET", "/containers/hostnet/json").json()
                ["NetworkSettings"]["Networks"]) == ["host"]
    lst = {c["Names"][0]: c for c in h.request("GET", "/containers/json?all=1").json()}
    assert lst["/dflt"]["NetworkSettings"]["Networks"] == {}
    assert docker_cli("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "dflt").stdout == b"\n"
    assert docker_cli("inspect", "-f", "{{.HostConfig.NetworkMode}}", "dflt").stdout == b"bridge\n"


# --- 7. error words clients match on ------------------------------------------

def test_error_words(docker_cli, docker_py, busybox, kedge):
    import docker

    r = create(kedge, {"Image": "busybox:nosuch"})
    assert r.status == 404 and r.json()["message"] == "No such image: busybox:nosuch"
    with pytest.raises(docker.errors.ImageNotFound):
        docker_py.containers.create("busybox:nosuch", "true")
    docker_cli("run", "-d", "--name", "busy", "busybox", "sleep", "100")
    p = docker_cli("rm", "busy", check=False)
    assert ('cannot remove container "/busy": container is running: stop the container '
            'before removing or force remove') in p.stderr.decode()
    r = create(kedge, {}, name="bad%20name")
    assert r.status == 400 and r.json()["message"] == (
        "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    r = create(kedge, {"HostConfig": {"LogConfig": {"Type": "frob"}}})
    assert r.status == 400
    assert r.json()["message"] == "logger: no log driver named 'frob' is registered"
    r = create(kedge, {"HostConfig": {"RestartPolicy": {"Name": "always"}, "AutoRemove": True}})
    assert r.status == 400
    for body, words in [
            ({"WorkingDir": "rel"},
             "the working directory 'rel' is invalid, it needs to be an absolute path"),
            ({"StopSignal": "SIGNOPE"}, "Invalid signal: SIGNOPE"),
            ({"Env": ["=x"]}, "invalid environment variable: =x"),
            ({"HostConfig": {"Binds": ["/tmp:/d", "/tmp:/d"]}}, "Duplicate mount point: /d"),
            ({"HostConfig": {"Binds": ["/tmp:/d:bogus"]}}, "invalid mode: bogus"),
            ({"HostConfig": {"NanoCpus": 500000000, "CpuQuota": 50000}},
             "Conflicting options: Nano CPUs and CPU Quota cannot both be set")]:
        r = create(kedge, body)
        assert r.status == 400 and r.json()["message"] == words, (body, r.body)
    r = create(kedge, {"Cmd": None, "Entrypoint": None, "Image": "busybox"})
    assert r.status == 201  # busybox has CMD sh
    docker_cli("rm", "-f", "busy")


# --- 8. one env rule ------------------------------------------------------------

def test_env_merge_rule(docker_cli, kedge, busybox):
    load_image(kedge, "env:1", config_extra={"Env": [
        "PATH=/usr/bin:/bin", "A=image", "B=image", "DROP=image"]})
    out = docker_cli("run", "--rm", "-e", "B=user", "-e", "C=user", "env:1",
                     "env").stdout.decode().split("\n")
    assert "A=image" in out and "B=user" in out and "C=user" in out and "DROP=image" in out
    env = json.loads(docker_cli("inspect", "-f", "{{json .Config.Env}}",
                                docker_cli("create", "-e", "B=user", "-e", "HOSTNAME=mine", "env:1"
                                           ).stdout.decode().strip()).stdout)
    # the image's order, the user's value in place, new keys appended
    assert env == ["PATH=/usr/bin:/bin", "A=image", "B=user", "DROP=image", "HOSTNAME=mine"]
    # a bare key (no '=') unsets the image's value, as dockerd does
    r = create(kedge, {"Image": "env:1", "Env": ["DROP"]}, name="unset")
    assert r.status == 201
    env = kedge.http().request("GET", "/containers/unset/json").json()["Config"]["Env"]
    assert "DROP=image" not in env and "DROP" not in env
    out = docker_cli("run", "--rm", "-e", "HOSTNAME=mine", "env:1", "env").stdout.decode()
    assert "HOSTNAME=mine" in out.split("\n")
