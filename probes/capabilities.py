"""A process's effective capabilities: the ``CapEff`` line of ``/proc/PID/status``.

The tuning module reads perftop's own (``/proc/self/status``) to say which limit refused an action: with
CAP_SYS_NICE a refused real-time policy is a cgroup budget, not a missing privilege.
"""

from __future__ import annotations

from perftop.probes.fs import FS, read_text

#: CAP_SYS_NICE's bit in the capability sets (linux/capability.h).
CAP_SYS_NICE = 23


def parse_effective_capabilities(status_text: str) -> int | None:
    """The ``CapEff`` mask of ``/proc/PID/status`` text (bit N set: capability N held), or ``None`` when
    the line is missing or malformed."""
    for line in status_text.splitlines():
        if line.startswith("CapEff:"):
            fields = line.split()
            try:
                return int(fields[1], 16)
            except (IndexError, ValueError):
                return None
    return None


def read_effective_capabilities(fs: FS, pid: int | str = "self") -> int | None:
    """The effective capabilities of process ``pid`` (default: the reader itself), or ``None`` when its
    ``status`` cannot be read or has no ``CapEff`` line."""
    text = read_text(fs.proc(pid, "status"))
    return None if text is None else parse_effective_capabilities(text)


#: Capability names by bit (linux/capability.h), as ``capsh --decode`` writes them.
CAPABILITY_NAMES: tuple[str, ...] = (
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
    "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
    "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
    "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
    "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
    "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
    "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
    "cap_checkpoint_restore",
)  # fmt: skip


def capability_names(mask: int) -> tuple[str, ...]:
    """The names of the capabilities set in ``mask``; a bit this list does not know is ``cap_N``."""
    return tuple(
        CAPABILITY_NAMES[bit] if bit < len(CAPABILITY_NAMES) else f"cap_{bit}"
        for bit in range(mask.bit_length())
        if mask >> bit & 1
    )
