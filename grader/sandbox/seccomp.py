"""The seccomp deny-list, built once in the zygote with libseccomp (pyseccomp) and exported as BPF.

A deny-list (default allow) rather than an allow-list: an allow-list killed children on harmless calls
Python makes (signal.alarm, ...). Denied calls fail with EPERM so student code sees an ordinary error.
Signals are allowed only to the child itself: the filter compares the target with a placeholder pid that
`for_pid` patches in each child, so nothing is rebuilt per run.

Two programs, both built once in the zygote: the deny-list proper, which a spare child loads before its
warm-up, and a small one that denies changing rlimits, which it loads once it has set the run's limits
(filters stack: every call passes both). Only after the second does the student's code run. Loading the
big one off the grading path saves ~0.25 ms per run; the second, in a process that already loaded one,
takes ~50 us.
"""

from __future__ import annotations

import errno
import logging
import struct
import tempfile
from dataclasses import dataclass

import pyseccomp as sc

log = logging.getLogger(__name__)

_PID_PLACEHOLDER = 0x7E57_1D00  # above any pid_max, unique among the filter's constants
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_INSN = struct.Struct("=HBBI")

DENIED = (
    # no network, no new programs, no new processes or threads (clone3 gets ENOSYS below so glibc
    # falls back to clone, which is denied outright: single-threaded NumPy needs neither)
    "socket", "socketpair", "execve", "execveat", "fork", "vfork", "clone",
    # no reaching into, or signalling, other processes (kill/tkill/tgkill: self only, below)
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    # the session and limits set up for the child stay as they are (rlimits: `_rlimits_lock`, loaded last)
    "setsid", "setpgid", "setpriority", "sched_setscheduler", "sched_setparam",
    "sched_setattr", "sched_setaffinity", "ioprio_set", "migrate_pages", "move_pages",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
    "setgroups", "capset", "personality",
    # namespaces, mounts and kernel attack surface
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "keyctl", "add_key", "request_key", "bpf",
    "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "iopl", "ioperm", "modify_ldt", "uselib", "vhangup", "lookup_dcookie", "sysfs", "ustat",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init", "mknod", "mknodat",
    "sethostname", "setdomainname",
    # host-wide IPC objects (the zygote also has its own IPC namespace where it can)
    "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)
# fcntl/ioctl commands that make the kernel send signals to a chosen process (SIGIO ownership).
_F_SETOWN, _F_SETSIG, _F_SETLEASE, _F_NOTIFY, _F_SETOWN_EX = 8, 10, 1024, 1026, 15
_FIOSETOWN, _SIOCSPGRP, _TIOCSTI = 0x8901, 0x8902, 0x5412


@dataclass(frozen=True)
class Filters:
    deny: PidFilter  # loaded by a spare child before its warm-up
    rlimits_lock: bytes  # loaded once the run's rlimits are set: no changing them any more


@dataclass(frozen=True)
class PidFilter:
    """BPF bytes with a pid placeholder at known offsets, patched per child in microseconds."""

    program: bytes
    offsets: tuple[int, ...]

    def for_pid(self, pid: int) -> bytes:
        """The filter with the child's own pid in place of the placeholder (signals to self allowed)."""
        out = bytearray(self.program)
        for offset in self.offsets:
            code, jt, jf, _ = _INSN.unpack_from(out, offset)
            _INSN.pack_into(out, offset, code, jt, jf, pid)
        return bytes(out)


def build() -> Filters:
    return Filters(deny=_deny_list(), rlimits_lock=_rlimits_lock())


def _new_filter() -> sc.SyscallFilter:
    filt = sc.SyscallFilter(sc.ALLOW)
    filt.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)  # i386/x32 entry points: no way around rules
    return filt


def _export(filt: sc.SyscallFilter) -> bytes:
    with tempfile.TemporaryFile() as out:
        filt.export_bpf(out)
        out.seek(0)
        return out.read()


def _rlimits_lock() -> bytes:
    filt = _new_filter()
    deny = sc.ERRNO(errno.EPERM)
    filt.add_rule(deny, "setrlimit")
    filt.add_rule(deny, "prlimit64", sc.Arg(2, sc.NE, 0))  # reading limits (new_limit NULL) stays allowed
    return _export(filt)


def _deny_list() -> PidFilter:
    filt = _new_filter()
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            filt.add_rule(deny, name)
        except (OSError, ValueError) as exc:  # a call this libseccomp/arch does not know: nothing to deny
            log.debug("seccomp: skipping %s (%s)", name, exc)
    filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    # Full 64-bit comparisons: upper bits set (which the kernel would drop from a pid_t) also deny.
    filt.add_rule(deny, "kill", sc.Arg(0, sc.NE, _PID_PLACEHOLDER))
    filt.add_rule(deny, "tkill", sc.Arg(0, sc.NE, _PID_PLACEHOLDER))
    filt.add_rule(deny, "tgkill", sc.Arg(0, sc.NE, _PID_PLACEHOLDER))
    filt.add_rule(deny, "tgkill", sc.Arg(1, sc.NE, _PID_PLACEHOLDER))
    # The kernel reads these commands as 32-bit: compare the low half only, or (1 << 32) | F_SETOWN
    # would slip past an exact comparison.
    for cmd in (_F_SETOWN, _F_SETSIG, _F_SETLEASE, _F_NOTIFY, _F_SETOWN_EX):
        filt.add_rule(deny, "fcntl", sc.Arg(1, sc.MASKED_EQ, 0xFFFF_FFFF, cmd))
    for cmd in (_FIOSETOWN, _SIOCSPGRP, _TIOCSTI):
        filt.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFF_FFFF, cmd))
    program = _export(filt)
    offsets = tuple(
        i * _INSN.size for i, (code, _, _, k) in enumerate(_INSN.iter_unpack(program))
        if code == _BPF_JEQ_K and k == _PID_PLACEHOLDER
    )
    if not offsets:  # libseccomp shares identical blocks, so there may be a single one
        raise RuntimeError("seccomp: pid placeholder not found in the generated filter")
    return PidFilter(program, offsets)
