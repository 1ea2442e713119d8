"""Landlock through the raw syscalls: filesystem rules (ABI 1-5), TCP bind/connect (ABI 4) and
signal / abstract-unix-socket scoping (ABI 6). PyPI's `landlock` package covers filesystem rules only.

The ruleset is built once in the zygote (rules attach to inodes, so the private directory is emptied in
place, never recreated); each child only calls `restrict_self` on the inherited ruleset descriptor.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from grader.sandbox._sys import syscall

# Same numbers on every architecture (syscalls added after the 2019 unification).
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
# Rights that may be granted on a regular file (the others only make sense on directories).
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """0 when Landlock is absent or disabled."""
    try:
        return syscall(_SYS_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION)
    except OSError:
        return 0


@dataclass(frozen=True)
class Ruleset:
    fd: int
    abi: int
    net: bool  # TCP bind/connect denied
    scoped: bool  # signals and abstract unix sockets confined to the domain


def create_ruleset(read_only: Iterable[str], read_write: Iterable[str]) -> Ruleset:
    """Handle every right this kernel knows; allow reading `read_only` and full file work under
    `read_write`. Paths that do not exist are skipped. Raises OSError if Landlock is unavailable."""
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available")
    handled_fs = _FS_BY_ABI[min(abi, 5)]
    attr = _RulesetAttr(handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = syscall(_SYS_CREATE_RULESET, ctypes.c_void_p(ctypes.addressof(attr)), size, 0)
    try:
        ro = READ_FILE | READ_DIR
        rw = ro | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | TRUNCATE
        for path in read_only:
            _add_path(fd, path, ro & handled_fs)
        for path in read_write:
            _add_path(fd, path, rw & handled_fs)
    except BaseException:
        os.close(fd)
        raise
    os.set_inheritable(fd, False)
    return Ruleset(fd=fd, abi=abi, net=abi >= 4, scoped=abi >= 6)


def _add_path(ruleset_fd: int, path: str, access: int) -> None:
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(target).st_mode):
            access &= _FILE_RIGHTS
        rule = _PathBeneathAttr(access, target)
        syscall(_SYS_ADD_RULE, ruleset_fd, _RULE_PATH_BENEATH, ctypes.c_void_p(ctypes.addressof(rule)), 0)
    finally:
        os.close(target)


def restrict_self(ruleset_fd: int) -> None:
    """Confine the calling process (needs no_new_privs). Irreversible; inherited by any descendant."""
    syscall(_SYS_RESTRICT_SELF, ruleset_fd, 0)
