"""A real Debian root file system for the benchmarks: `debootstrap
--variant=minbase bookworm` from the machine's Debian mirror, built once
and cached (KEDGE_BENCH_CACHE, default /var/tmp/kedge-bench). Returns None
when debootstrap or the mirror is not available, so benches can fall back
to files of /usr."""
import os
import shutil
import subprocess
import tarfile

CACHE = os.environ.get("KEDGE_BENCH_CACHE", "/var/tmp/kedge-bench")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")


def debian_rootfs():
    root = os.path.join(CACHE, "bookworm-minbase")
    if os.path.exists(os.path.join(root, ".complete")):
        return root
    if not shutil.which("debootstrap"):
        return None
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(CACHE, exist_ok=True)
    p = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", root, MIRROR],
                       capture_output=True)
    if p.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        return None
    # What an image build would leave out: downloaded packages and lists.
    for d in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for f in os.listdir(os.path.join(root, d)):
            path = os.path.join(root, d, f)
            if os.path.isfile(path):
                os.unlink(path)
    open(os.path.join(root, ".complete"), "w").close()
    return root


def layer_tar(root, path):
    """An uncompressed layer tar of the tree at root (numeric owners, as
    image layers carry them). Returns (content bytes, entries)."""
    total = count = 0
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(root)):
            if name == ".complete":
                continue
            t.add(os.path.join(root, name), arcname=name, recursive=True)
    with tarfile.open(path) as t:
        for m in t:
            count += 1
            total += m.size if m.isfile() else 0
    return total, count
