"""Replace a generated folder in one step, so that no failure or kill leaves half of it."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

_AT_FDCWD: Final = -100
_RENAME_EXCHANGE: Final = 2
_STAGING: Final = "staging"
_BACKUP: Final = "old"


@contextlib.contextmanager
def staging_dir(target: Path) -> Iterator[Path]:
    """A fresh folder beside ``target`` (same file system, so renames are atomic), always removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    stage = target.with_name(f".{target.name}.{_STAGING}-{os.getpid()}-{secrets.token_hex(4)}")
    stage.mkdir()
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def replace(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target``; ``stage`` then holds the old contents, for the caller to drop."""
    if not target.exists():
        stage.rename(target)
        stage.mkdir()
        return
    if _exchange(stage, target):
        return
    # No atomic exchange on this file system: two renames, with a backup that recover() restores
    # if the process dies between them.
    backup = target.with_name(f".{target.name}.{_BACKUP}-{secrets.token_hex(4)}")
    target.rename(backup)
    try:
        stage.rename(target)
    except BaseException:
        backup.rename(target)
        raise
    backup.rename(stage)


def recover(target: Path) -> None:
    """Undo what a killed run left: restore a backup if the target is gone, drop stale folders."""
    parent = target.parent
    backups = sorted(parent.glob(f".{target.name}.{_BACKUP}-*"))
    if backups and not target.exists():
        backups.pop().rename(target)
    for stale in backups:
        shutil.rmtree(stale, ignore_errors=True)
    for stage in parent.glob(f".{target.name}.{_STAGING}-*"):
        pid = stage.name.split("-")[1]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))
