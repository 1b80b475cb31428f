"""How many eBPF device programs are attached to a cgroup v2 directory
(bpf(2) BPF_PROG_QUERY, no bpftool needed)."""
import ctypes
import os
import platform
import struct

_BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
_BPF_PROG_QUERY = 16
_BPF_CGROUP_DEVICE = 6  # enum bpf_attach_type


def device_programs(path):
    """The number of BPF_CGROUP_DEVICE programs attached to the group."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        ids = (ctypes.c_uint32 * 64)()
        # union bpf_attr .query: target_fd, attach_type, query_flags,
        # attach_flags, prog_ids (u64), prog_cnt
        attr = ctypes.create_string_buffer(
            struct.pack("=IIIIQI", fd, _BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), 64), 128)
        if libc.syscall(_BPF_SYSCALL[platform.machine()], _BPF_PROG_QUERY, attr, 128) < 0:
            e = ctypes.get_errno()
            raise OSError(e, "BPF_PROG_QUERY %s: %s" % (path, os.strerror(e)))
        return struct.unpack_from("=I", attr.raw, 24)[0]
    finally:
        os.close(fd)
