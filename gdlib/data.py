"""MNIST and Fashion-MNIST: IDX parsing, checks, search path and a safe download.

``load("mnist", "train")`` returns ``(images, labels)``; ``load_dataset("fashion")`` returns
both splits as a :class:`Dataset`. A dataset is four IDX files (:data:`FILES`), raw or gzipped
(told apart by the gzip magic bytes, not by the name). Where they are looked for, in order:

1. the ``data_dir`` argument (used alone; missing or incomplete is an error);
2. ``$GDLIB_DATA/<dataset>/`` (``GDLIB_DATA`` must be absolute; a ``<dataset>`` folder there
   that is incomplete is an error, not skipped);
3. the cache ``<cache>/<dataset>/``: ``<cache>`` is the ``cache_dir`` argument, else
   ``$XDG_CACHE_HOME/gdlib``, else ``~/.cache/gdlib``;
4. for ``"fashion"``, ``/usr/share/datasets/fashion-mnist/`` (Debian's dataset-fashion-mnist).

If none has all four and ``download=True``, the missing ones are fetched into the cache from
:data:`MIRRORS`, tried in order; each goes to a temporary file beside its final name, is
checked, then renamed into place, so the cache never holds a partial or unverified file.

Loading checks the IDX header (magic, uint8 dtype byte, dimensions, 28x28 images), a payload
of exactly the size it gives, labels in 0..9, as many images as labels, and the SHA-256 of the
uncompressed content against :data:`SHA256` (remembered per path, size and mtime for the
process). Any problem raises :class:`DataError` naming the file and the fix. A corrupt file in
the cache is not deleted behind the user's back: the error says to delete it, and the next
call downloads it again.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["DataError", "Dataset", "FILES", "MIRRORS", "SHA256", "find", "load", "load_dataset"]

MIRRORS = {  # base URLs, tried in order
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
SYSTEM_DIRS = {"fashion": (Path("/usr/share/datasets/fashion-mnist"),)}
TIMEOUT = 30.0  # seconds for each network operation of a download

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
NAMES = (*FILES["train"], *FILES["test"])

# SHA-256 of the *uncompressed* files, in NAMES order (gzip wrappers differ between copies).
# MNIST: the SHA-256 of the canonical files, whose MD5s are the ones LeCun et al. published
# (6bbc9ace..., a25bea73..., 2646ac64..., 27ae3e4e...; the README lists them). Fashion-MNIST:
# computed from Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1, whose uncompressed
# MD5s equal the raw-file MD5s torchvision publishes (f4a8712d..., 9018921c..., 8181f547...,
# 15d48437...).
SHA256 = {
    "mnist": dict(zip(NAMES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ), strict=True)),
    "fashion": dict(zip(NAMES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ), strict=True)),
}

_GZIP_MAGIC = b"\x1f\x8b"
_verified: set[tuple] = set()  # (path, size, mtime_ns, sha256) of files already checked
PathArg = str | os.PathLike | None


class DataError(ValueError):
    """A data file or folder is missing, corrupt or unexpected; the message says how to fix it."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Both splits of a dataset; ``x_*`` are the images, ``t_*`` the int64 labels."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    name: str

    def __repr__(self) -> str:
        arrays = ("x_train", "t_train", "x_test", "t_test")
        shown = (f"  {a}={getattr(self, a).shape} {getattr(self, a).dtype}," for a in arrays)
        return f"Dataset(name={self.name!r},\n" + "\n".join(shown) + "\n)"


class _Place(NamedTuple):
    path: Path
    what: str  # how this place was chosen, for messages
    fix: str  # what to do about a bad file found here
    strict: bool  # if the folder exists it must be complete


def load(dataset: str = "mnist", split: str = "train", *, flat: bool = True,
         data_dir: PathArg = None, download: bool = True, cache_dir: PathArg = None,
         mirrors: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)`` of one split, "train" or "test".

    With ``flat=True`` images are float32 of shape (N, 784) scaled to [0, 1]; with
    ``flat=False`` uint8 of shape (N, 28, 28). Labels are int64 of shape (N,). ``cache_dir``
    replaces the per-user cache root; ``mirrors`` replaces ``MIRRORS[dataset]``.
    Raises :class:`DataError`.
    """
    _check(dataset, split)
    place = _locate(dataset, data_dir, download, cache_dir, mirrors)
    return _load_split(place, dataset, split, flat)


def load_dataset(dataset: str = "mnist", *, flat: bool = True, data_dir: PathArg = None,
                 download: bool = True, cache_dir: PathArg = None,
                 mirrors: Sequence[str] | None = None) -> Dataset:
    """Return both splits of ``dataset`` as a :class:`Dataset` (arguments as for :func:`load`)."""
    _check(dataset, "train")
    place = _locate(dataset, data_dir, download, cache_dir, mirrors)
    x_train, t_train = _load_split(place, dataset, "train", flat)
    x_test, t_test = _load_split(place, dataset, "test", flat)
    return Dataset(x_train, t_train, x_test, t_test, dataset)


def find(dataset: str = "mnist", *, data_dir: PathArg = None, cache_dir: PathArg = None) -> Path:
    """Return the directory :func:`load` would read (never downloads).

    Raises :class:`DataError` listing every place it looked.
    """
    _check(dataset, "train")
    found, _, looked = _search(dataset, data_dir, cache_dir)
    if found is None:
        raise _not_found(dataset, looked, _cache_root(cache_dir) / dataset, download=False)
    return found.path


def _check(dataset: str, split: str) -> None:
    if dataset not in SHA256:
        raise DataError(f"unknown dataset {dataset!r}; use one of: {', '.join(SHA256)}")
    if split not in FILES:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")


def _cache_root(cache_dir: PathArg) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "gdlib"


def _places(dataset: str, data_dir: PathArg, cache_dir: PathArg) -> list[_Place]:
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise DataError(f"{path} (data_dir argument): no such directory; pass the folder "
                            "that holds the four IDX files")
        return [_Place(path, "data_dir argument", "replace it with a good copy", True)]
    places = []
    env = os.environ.get("GDLIB_DATA")
    if env:
        root = Path(env).expanduser()
        if not root.is_absolute():
            raise DataError(f"GDLIB_DATA={env!r} is not an absolute path; set GDLIB_DATA to an "
                            "absolute path, e.g. GDLIB_DATA=$(realpath ../shared/data)")
        if not root.is_dir():
            raise DataError(f"GDLIB_DATA={env}: no such directory; set GDLIB_DATA to the folder "
                            "holding mnist/ (and fashion/), or unset it")
        fix = "replace it with a good copy, or set GDLIB_DATA to another folder"
        places.append(_Place(root / dataset, "$GDLIB_DATA", fix, True))
    fix = "delete it and run again to re-download"
    places.append(_Place(_cache_root(cache_dir) / dataset, "cache", fix, False))
    fix = "reinstall it: apt-get install --reinstall dataset-fashion-mnist"
    places += [_Place(p, "system", fix, False) for p in SYSTEM_DIRS.get(dataset, ())]
    return places


def _present(directory: Path) -> dict[str, Path]:
    """Map each of the four names to its file in ``directory`` (uncompressed name first)."""
    found = {}
    for name in NAMES:
        for candidate in (directory / name, directory / f"{name}.gz"):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def _search(dataset: str, data_dir: PathArg, cache_dir: PathArg):
    """Return (first complete place or None, all places, what was seen where)."""
    places, looked = _places(dataset, data_dir, cache_dir), []
    for place in places:
        missing = [n for n in NAMES if n not in _present(place.path)]
        if not missing:
            return place, places, looked
        if not place.path.is_dir():
            looked.append(f"{place.path} ({place.what}): no such directory")
            continue
        if place.strict:
            raise DataError(f"{place.path} ({place.what}) is incomplete: missing "
                            f"{', '.join(missing)}; put all four files there (raw or .gz)")
        looked.append(f"{place.path} ({place.what}): missing {', '.join(missing)}")
    return None, places, looked


def _locate(dataset, data_dir, download, cache_dir, mirrors) -> _Place:
    found, places, looked = _search(dataset, data_dir, cache_dir)
    if found is not None:
        return found
    cache = next(p for p in places if p.what == "cache")  # a data_dir was found or raised
    if not download:
        raise _not_found(dataset, looked, cache.path, download=False)
    try:
        cache.path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{cache.path}: cannot create the cache folder ({e}); pass cache_dir "
                        "or set GDLIB_DATA") from e
    have, mirrors = _present(cache.path), MIRRORS[dataset] if mirrors is None else mirrors
    for name in (n for n in NAMES if n not in have):
        failures = _fetch(dataset, name, cache.path, mirrors)
        if failures:
            raise _not_found(dataset, looked, cache.path, download=True, failures=failures)
    return cache


def _not_found(dataset, looked, cache: Path, *, download: bool, failures=()) -> DataError:
    lines = [f"{dataset}: could not find the four IDX files ({', '.join(NAMES)}; raw or .gz).",
             "Looked in:", *(f"  - {x}" for x in looked)]
    if download:
        lines += ["Download failed:", *(f"  - {x}" for x in failures)]
    fixes = [f"set GDLIB_DATA to the absolute path of a folder holding {dataset}/ with the files",
             f"put the files in {cache}"]
    if dataset == "fashion":
        fixes.append("apt-get install dataset-fashion-mnist")
    if not download:
        fixes.append("call with download=True")
    return DataError("\n".join([*lines, "To fix: " + ", or ".join(fixes) + "."]))


def _fetch(dataset: str, name: str, directory: Path, mirrors: Sequence[str]) -> list[str]:
    """Download ``name`` into ``directory``; return each mirror's failure ([] on success)."""
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + f"/{name}.gz"
        try:
            _fetch_one(url, dataset, name, directory)
            return []
        except (OSError, EOFError, zlib.error, http.client.HTTPException, DataError) as e:
            failures.append(f"{url}: {e}")
    return failures or ["no mirrors given"]


def _fetch_one(url: str, dataset: str, name: str, directory: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            length, got = resp.headers.get("Content-Length"), 0
            size = f" ({int(length) / 1e6:.1f} MB)" if length else ""
            _say(f"gdlib.data: downloading {url}{size} into {directory} ...")
            shown = 0
            while chunk := resp.read(1 << 20):
                out.write(chunk)
                got += len(chunk)
                if length and got * 4 // int(length) > shown:         # a note per quarter
                    shown = got * 4 // int(length)
                    _say(f"  {name}: {25 * shown}%")
        if length is not None and got != int(length):
            raise DataError(f"connection cut: got {got} of {length} bytes")
        packed = tmp.read_bytes()
        raw = _unpack(packed)
        _parse_idx(raw, name, "the mirror serves a bad file")
        actual, expected = hashlib.sha256(raw).hexdigest(), SHA256[dataset].get(name)
        if expected is not None and actual != expected:
            raise DataError(f"SHA-256 of the uncompressed content is {actual}, not {expected}")
        os.replace(tmp, directory / (f"{name}.gz" if packed[:2] == _GZIP_MAGIC else name))
        _say(f"  {name}: checked (SHA-256) and stored")
    finally:
        tmp.unlink(missing_ok=True)


def _say(line: str) -> None:
    """Progress of a download, the one thing this module reports (on stderr)."""
    print(line, file=sys.stderr, flush=True)


def _unpack(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def _load_split(place: _Place, dataset: str, split: str, flat: bool):
    files = _present(place.path)
    image_path, label_path = (files[name] for name in FILES[split])
    images = _read_idx(image_path, dataset, place.fix)
    labels = _read_idx(label_path, dataset, place.fix)
    if len(images) != len(labels):
        raise DataError(f"{image_path} has {len(images)} images but {label_path} has "
                        f"{len(labels)} labels; {place.fix}")
    if flat:
        scale = np.float32(1 / 255)
        images = np.multiply(images.reshape(len(images), -1), scale, dtype=np.float32)
    else:
        images = images.copy()  # writable, not a view of the file's bytes
    return images, labels.astype(np.int64)


def _read_idx(path: Path, dataset: str, fix: str) -> np.ndarray:
    """Read, decompress, parse and verify one IDX file; return a read-only uint8 array."""
    try:
        stat = path.stat()
        raw = _unpack(path.read_bytes())
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read or decompress it ({e}); {fix}") from e
    array = _parse_idx(raw, str(path), fix)
    expected = SHA256[dataset].get(path.name.removesuffix(".gz"))
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, expected)
    if expected is not None and key not in _verified:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected:
            raise DataError(f"{path}: SHA-256 of the uncompressed content is {actual}, expected "
                            f"{expected} (corrupt, or not the official {dataset} file); {fix}")
        _verified.add(key)
    return array


def _parse_idx(raw: bytes, where: str, fix: str) -> np.ndarray:
    """Check an IDX header against the file name (images: 3 dims, labels: 1) and the payload."""
    ndim = 3 if "images" in Path(where).name else 1
    kind, magic = ("images" if ndim == 3 else "labels"), f"0x{0x800 + ndim:08x}"

    def bad(problem: str) -> DataError:
        return DataError(f"{where}: {problem}; {fix}")

    if len(raw) < 4 or raw[:2] != b"\0\0":
        raise bad(f"not an IDX file (magic number 0x{raw[:4].hex()}, expected {magic} for {kind})")
    if raw[2] != 0x08:
        raise bad(f"IDX dtype byte is 0x{raw[2]:02x}, expected 0x08 (uint8)")
    if raw[3] != ndim:
        raise bad(f"IDX header gives {raw[3]} dimensions, expected {ndim} ({magic}, {kind})")
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise bad("the IDX header is truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise bad(f"images are {dims[1]}x{dims[2]}, expected 28x28")
    size, payload = math.prod(dims), len(raw) - start
    if payload < size:
        raise bad(f"truncated: the header promises {size} data bytes, the file has {payload}")
    if payload > size:
        raise bad(f"{payload - size} trailing bytes after the {size} data bytes")
    array = np.frombuffer(raw, np.uint8, size, start).reshape(dims)
    if ndim == 1 and size and array.max() > 9:
        raise bad(f"label {array.max()} out of range 0..9")
    return array
