"""Writing output all or nothing, and only where nothing of the user's is overwritten or lost.

Every command that writes a folder (plan, forecast, backtest, compare, sweep, report, export) goes
through :func:`atomic_folder`, every single file through :func:`atomic_file`.

Where a command may write (``--out``, issue 14 cases 2 and 7):

- into a folder that does not exist yet, an empty folder, or an **earlier output of the same command**.
  Each output carries a marker file, :data:`MARKER` (``.schedule-output.json``: the command, the
  version, the files it wrote), which is how an earlier output is recognised. A folder written before
  markers existed is recognised when it holds nothing but names the command writes (``known``).
- Anything else (``--out .`` in a folder of your own files, another command's output) is refused in
  one line naming ``--out``, before any work and with nothing written, unless ``force``: then the
  output's files are moved into the folder, replacing files of the same names, and everything else
  in it stays.
- A file is never turned into a folder, with or without ``force``.

How an earlier output is replaced: the new one is written into a hidden temporary sibling
``.NAME.schedule-new-PID-RAND`` (with the marker, so it is recognisably ours), then swapped in with
two renames, the earlier one passing through ``.NAME.schedule-old-PID``. Only what the earlier output
wrote is replaced: any other entry in it (your notes, a vendor ``export/`` folder) is carried into the
new folder, and the temporary's marker lists them while they are in flight. A write that fails
(an error, Ctrl-C) removes its temporary and leaves what was there untouched.

A run killed during the swap (kill -9) leaves the temporaries behind; the next write to the same
target recovers before it starts (:func:`recover_stale`): it restores the earlier output if the new
one never got into place, gives carried entries back, and removes only temporaries of its own whose
process is gone (or that are older than :data:`STALE_AFTER_S`, should the process id have been reused):
ours by their marker, or, killed before the marker was in place, by holding nothing but the marker's own
temporary of the same process.
A ``.NAME.old.PID`` left by a version before markers (which replaced the whole folder) is put back when
``NAME`` is missing, and otherwise named in a note, never deleted: it may hold a user's files.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InputError

MARKER = ".schedule-output.json"
STALE_AFTER_S = 24 * 3600  # a temporary this old is stale even if its process id is alive again (reused)
_NEW = "schedule-new"
_OLD = "schedule-old"
_FORCE_HINT = ("give a new or empty folder, or --force to write into it (files of the same names are replaced, "
               "everything else stays)")


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cs-schedule")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _team_mode(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` less the umask (mkstemp and mkdtemp make their results private)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


# -- markers ---------------------------------------------------------------------------------------------
def read_marker(folder: str | Path) -> dict | None:
    """The marker of an output folder (None: none, or not one of ours)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("command"), str) \
            or not isinstance(data.get("files", []), list):
        return None
    return data


def write_marker(folder: Path, command: str, files: Collection[str], **extra) -> None:
    """Mark ``folder`` as the output of ``command`` that wrote ``files`` (for an output folder that
    collects entries written one by one, such as the vendor exports; :func:`atomic_folder` marks its own)."""
    _write_marker(folder, command, files, **extra)


def _write_marker(folder: Path, command: str, files: Collection[str], **extra) -> None:
    data = {"command": command, "version": _version(), "files": sorted(files),
            "written_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"), **extra}
    atomic_file(folder / MARKER, lambda tmp: tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                                                            encoding="utf-8"), recover=False)


def record_output(folder: str | Path, command: str, names: Collection[str]) -> None:
    """Add ``names`` to the files the output of ``command`` in ``folder`` lists (when it is one), e.g. the
    ``simulation.csv`` that ``schedule simulate`` adds to a plan folder."""
    marker = read_marker(folder)
    if marker is not None and marker["command"] == command:
        _write_marker(Path(folder), command, set(marker.get("files", [])) | set(names))


# -- what is at the target -----------------------------------------------------------------------------------
@dataclass
class Target:
    """What is at an output path: ``new`` (nothing, or an empty folder), ``ours`` (an earlier output of
    the same command, whose ``files`` are replaced) or ``foreign`` (anything else: written into only with
    ``force``)."""

    path: Path
    kind: str
    files: set[str] = field(default_factory=set)


def _matches(name: str, known: Collection[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in known)


def _absolute(path: str | Path) -> Path:
    path = Path(os.path.normpath(Path(path).absolute()))  # "--out .." names the parent, not a folder called ".."
    return path.resolve() if path.is_symlink() else path  # a link to a folder: write where it points


def check_output_folder(final: str | Path, command: str, *, force: bool = False, known: Collection[str] = (),
                        option: str = "--out", writes: Collection[str] | None = None) -> Target:
    """May ``command`` write its output folder at ``final``? Raises InputError (naming ``option``) when not;
    see the module docstring. ``known``: names (glob patterns) the command writes, by which an output
    written before markers existed is recognised; ``writes``: the names it is about to write, when known
    (else ``known``): an entry of the user's by such a name is not replaced without ``force``."""
    final = _absolute(final)
    for up in (final, *final.parents):
        if up.exists() or up.is_symlink():
            if not up.is_dir():
                what = "is a file" if up == final else f"is inside {up}, which is a file"
                raise InputError(f"{what}, not a folder: give a folder to write into", file=final, field=option)
            break
    _check_can_write(final, option)
    if not final.exists():
        return Target(final, "new")
    entries = [p.name for p in final.iterdir()]
    marker = read_marker(final)
    if marker is not None and marker["command"] == command:
        target = Target(final, "ours", set(marker.get("files", [])))
    elif not entries:
        return Target(final, "new")
    elif marker is None and known and all(_matches(n, known) for n in entries):
        target = Target(final, "ours", set(entries))  # written before markers existed
    else:
        target = Target(final, "foreign")
        if not force:
            what = (f"holds the output of schedule {marker['command']}" if marker is not None
                    else f"is not empty and is not an earlier output of schedule {command}")
            raise InputError(f"{what}; {_FORCE_HINT}", file=final, field=option)
        return target
    clash = sorted(n for n in entries if n != MARKER and n not in target.files
                   and (n in writes if writes is not None else _matches(n, known)))
    if clash and not force:
        raise InputError(f"holds {clash[0]}, which its earlier output did not write: move it away, or give --force "
                         "to replace it", file=final, field=option)
    return target


def _check_can_write(final: Path, option: str) -> None:
    """Refuse (naming ``option``) a target whose temporary sibling cannot be made: a read-only file system,
    a folder without write permission, ``/proc``. Probed the way :func:`atomic_folder` will write, by
    making (and removing) an empty temporary folder where it goes: beside ``final``, or in the nearest
    existing folder above it when its parent is still to be made. Before any work, so that a plan is not
    solved in full to fail at its first write."""
    here = final.parent
    while not here.exists() and here != here.parent:
        here = here.parent
    name = final.name if here == final.parent else final.relative_to(here).parts[0]
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{name}.{_NEW}-{os.getpid()}-", dir=here))
    except OSError as exc:
        raise InputError(f"cannot write there: {here}: {exc.strerror or exc}", file=final, field=option) from None


# -- writing ---------------------------------------------------------------------------------------------------
def _make_parent(final: Path) -> Path | None:
    """Create ``final``'s parent folder; return the top-most folder this created (None: it existed)."""
    created = final.parent
    while not created.parent.exists():
        created = created.parent
    created = None if created.exists() else created
    final.parent.mkdir(parents=True, exist_ok=True)
    return created


@contextmanager
def atomic_folder(final: str | Path, command: str, *, force: bool = False, known: Collection[str] = (),
                  option: str = "--out", log: Callable[[str], None] = _note) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; on success it becomes ``final`` (see the module docstring).

    ``command`` names the output (``"plan"``), ``known`` the names it may write (glob patterns), ``force``
    writes into a folder that is not an earlier output of ``command``. Refused targets raise InputError
    naming ``option`` before the body runs."""
    final = _absolute(final)
    recover_stale(final, log)
    target = check_output_folder(final, command, force=force, known=known, option=option)
    created = _make_parent(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.{_NEW}-{os.getpid()}-", dir=final.parent))
    try:
        _team_mode(tmp, 0o777)
        _write_marker(tmp, command, [], pid=os.getpid())
        yield tmp
        files = {n for n in os.listdir(tmp) if n != MARKER}
        target = check_output_folder(final, command, force=force, known=known, option=option,
                                     writes=files)  # again: it may have changed meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    if target.kind == "foreign" or (final.exists() and _holds_cwd(final)):
        _move_in(tmp, final, files, remove=target.files - files)
        _write_marker(final, command, files)
    else:
        carried = _swap(tmp, final, command, files, target)
        if carried:
            log(f"{final}: kept {', '.join(carried)} from the earlier output; anything made from the earlier "
                f"{command} (an export, an edited roster) is not updated: make it again")


def _holds_cwd(folder: Path) -> bool:
    """Whether the working directory is ``folder`` or inside it (it cannot be renamed away under us)."""
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    return cwd == folder.resolve() or folder.resolve() in cwd.parents


def _swap(tmp: Path, final: Path, command: str, files: set[str], target: Target) -> list[str]:
    """Replace ``final`` (absent, empty, or an earlier output) by ``tmp`` in renames, carrying over
    every entry of ``final`` that the earlier output did not write; returns those entries."""
    if not final.exists():
        _write_marker(tmp, command, files)
        os.replace(tmp, final)
        return []
    carried = sorted(n for n in os.listdir(final) if n != MARKER and n not in target.files and n not in files)
    old = final.parent / f".{final.name}.{_OLD}-{os.getpid()}"
    _write_marker(tmp, command, files, pid=os.getpid(), carried=carried)  # the journal, should we be killed
    try:
        os.replace(final, old)
    except BaseException:  # e.g. another run moved it meanwhile: nothing of ours is in place yet
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        for name in carried:
            os.replace(old / name, tmp / name)
        os.replace(tmp, final)
    except BaseException:
        for name in carried:
            if (tmp / name).exists() or (tmp / name).is_symlink():
                os.replace(tmp / name, old / name)
        if not final.exists():
            os.replace(old, final)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_marker(final, command, files)
    shutil.rmtree(old, ignore_errors=True)
    return carried


def _move_in(tmp: Path, final: Path, files: set[str], remove: Collection[str]) -> None:
    """Move the entries ``files`` of ``tmp`` into the existing folder ``final`` one by one (same names
    replaced), after removing ``remove`` (the earlier output's own files it no longer writes)."""
    for name in remove:
        _delete(final / name)
    for name in sorted(files):
        dest = final / name
        if dest.is_dir() and not dest.is_symlink():
            aside = final / f".{name}.{_OLD}-{os.getpid()}"
            os.replace(dest, aside)
            os.replace(tmp / name, dest)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp / name, dest)
    shutil.rmtree(tmp, ignore_errors=True)


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def atomic_file(path: str | Path, write: Callable[[Path], object], *, recover: bool = True) -> Path:
    """Call ``write(tmp)`` with a temporary file beside ``path``, then rename it to ``path`` (mode 0644
    less the umask, as any file the user writes)."""
    path = Path(path)
    if recover:
        recover_stale(path.absolute())
    created = _make_parent(path.absolute())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_NEW}-{os.getpid()}-", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        _team_mode(Path(tmp), 0o666)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    return path


# -- after a kill -9 -----------------------------------------------------------------------------------------
def _pid_of(name: str, prefix: str) -> int | None:
    head = name[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _stale(path: Path, pid: int | None) -> bool:
    """A temporary whose process is gone, or which is older than STALE_AFTER_S."""
    if pid is None:
        return False
    try:
        st = path.lstat()
    except OSError:
        return False
    if time.time() - max(st.st_mtime, st.st_ctime) > STALE_AFTER_S:
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


def recover_stale(final: str | Path, log: Callable[[str], None] = _note) -> None:
    """Clean up after a run killed while writing ``final`` (see the module docstring); touches nothing
    but our own temporaries of ``final`` whose process is gone."""
    final = Path(final)
    parent = final.parent
    if not parent.is_dir():
        return
    new_prefix, old_prefix = f".{final.name}.{_NEW}-", f".{final.name}.{_OLD}-"
    try:
        names = os.listdir(parent)
    except OSError:
        return
    temps = {n: _pid_of(n, new_prefix) for n in names if n.startswith(new_prefix)}
    for name in sorted(n for n in names if n.startswith(old_prefix)):
        old, pid = parent / name, _pid_of(name, old_prefix)
        if not old.is_dir() or not _stale(old, pid):
            continue
        mine = [parent / n for n, p in temps.items() if p == pid and (parent / n).is_dir()]
        _recover_old(final, old, mine, log)
    for name, pid in sorted(temps.items()):
        tmp = parent / name
        if (tmp.exists() or tmp.is_symlink()) and _stale(tmp, pid):
            _recover_new(final, tmp, pid, log)
    for name in sorted(n for n in names if n.startswith(f".{final.name}.old.")):
        _recover_legacy(final, parent / name, log)
    if final.is_dir() and not final.is_symlink():
        recover_stale(final / MARKER, log)  # a marker being rewritten in place when the run was killed


def _carried(tmp: Path) -> list[str]:
    marker = read_marker(tmp)
    names = (marker or {}).get("carried", [])
    return [n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")]


def _recover_old(final: Path, old: Path, temps: list[Path], log: Callable[[str], None]) -> None:
    """``old`` is an earlier output that a killed run was replacing; ``temps`` that run's new folders."""
    carried = {n: t for t in temps for n in _carried(t)}
    if not final.exists():  # killed between the renames: put everything back as it was
        for name, tmp in carried.items():
            if (tmp / name).exists() and not (old / name).exists():
                os.replace(tmp / name, old / name)
        os.replace(old, final)
        log(f"restored {final}: a run killed while replacing it had left it as {old.name}")
        return
    for name in carried:  # killed after the swap: only the earlier output's own files should be left
        if (old / name).exists() and not (final / name).exists():
            os.replace(old / name, final / name)
    left = [n for n in carried if (old / n).exists()]
    if left:
        log(f"kept {old}: it holds {left[0]}, which was yours; move what you need out of it, then remove it")
        return
    shutil.rmtree(old, ignore_errors=True)
    log(f"removed {old.name}, left by a run killed while replacing {final.name}")


def _recover_legacy(final: Path, old: Path, log: Callable[[str], None]) -> None:
    """``.NAME.old.PID``, left by a version before markers killed between its renames: it holds what was
    at ``final`` before (possibly a user's files), so it is put back when ``final`` is missing and never
    deleted."""
    pid = old.name.rsplit(".", 1)[-1]
    if not pid.isdigit() or not old.is_dir() or not _stale(old, int(pid)):
        return
    if not final.exists() and not final.is_symlink():
        os.replace(old, final)
        log(f"restored {final} from {old.name}, left by an earlier version's run that was killed")
    else:
        log(f"{old} holds what was at {final} before an earlier version's run was killed: check it, then remove it")


def _before_its_marker(tmp: Path, pid: int) -> bool:
    """Whether the folder ``tmp`` is what :func:`atomic_folder` leaves when killed before its marker was
    in place: empty, or holding only the marker's own temporary (``..schedule-output.json.schedule-new-PID-*``
    of the same process, killed at the marker's rename). Anything else in it may be a user's."""
    prefix = f".{MARKER}.{_NEW}-"
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return False
    return all(e.name.startswith(prefix) and _pid_of(e.name, prefix) == pid and e.is_file(follow_symlinks=False)
               for e in entries)


def _recover_new(final: Path, tmp: Path, pid: int, log: Callable[[str], None]) -> None:
    """``tmp`` is a new output a killed run (process ``pid``) never put in place."""
    if tmp.is_file():  # atomic_file's temporary: ours by its name
        tmp.unlink(missing_ok=True)
        return
    if read_marker(tmp) is None:
        if tmp.is_dir() and not tmp.is_symlink() and _before_its_marker(tmp, pid):
            shutil.rmtree(tmp, ignore_errors=True)  # killed before its marker was in place
        return  # not provably ours: left alone
    for name in _carried(tmp):
        if (tmp / name).exists() and final.is_dir() and not (final / name).exists():
            os.replace(tmp / name, final / name)
    left = [n for n in _carried(tmp) if (tmp / n).exists()]
    if left:
        log(f"kept {tmp}: it holds {left[0]}, which was yours; move what you need out of it, then remove it")
        return
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"removed {tmp.name}, a half-written output of a run that was killed")
