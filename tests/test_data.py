"""Tests for gdlib.data: IDX checks, search order, downloads, and the real MNIST/Fashion-MNIST.

Synthetic IDX files are written to tmp_path and registered in the SHA-256 table; downloads go
to an HTTP server on 127.0.0.1. The real user cache is never touched: every test gets its own
HOME and XDG_CACHE_HOME, and GDLIB_DATA is unset unless a test sets it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import re
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from gdlib import data
from gdlib.data import DataError

REAL_DATA = os.environ.get("GDLIB_DATA")  # read before the autouse fixture unsets it
SYSTEM_DIRS = dict(data.SYSTEM_DIRS)
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
N = {"train": 12, "test": 5}
IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"


def idx(array: np.ndarray, dtype_byte: int = 0x08) -> bytes:
    """Encode ``array`` as an IDX file (big-endian dims, uint8 payload)."""
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, dtype_byte, array.ndim]) + dims + array.astype(np.uint8).tobytes()


def arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(len(split))
    images = rng.integers(0, 256, (N[split], 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # both ends of the scale
    return images, np.arange(N[split], dtype=np.uint8) % 10


def contents() -> dict[str, bytes]:
    """Uncompressed bytes of the four synthetic files."""
    out = {}
    for split, (image_name, label_name) in data.FILES.items():
        images, labels = arrays(split)
        out[image_name], out[label_name] = idx(images), idx(labels)
    return out


def register(monkeypatch, files: dict[str, bytes], dataset: str = "mnist") -> None:
    sums = {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()}
    monkeypatch.setitem(data.SHA256, dataset, sums)


def write(directory: Path, files: dict[str, bytes], gz: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (directory / name).write_bytes(raw)
    return directory


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("GDLIB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(data, "SYSTEM_DIRS", {})
    monkeypatch.setattr(data, "TIMEOUT", 5.0)


@pytest.fixture
def files(monkeypatch) -> dict[str, bytes]:
    """The synthetic files, known to the SHA-256 table as "mnist"."""
    files = contents()
    register(monkeypatch, files)
    return files


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1; returns (routes, base URL). A route maps a URL path to
    (mode, body) with mode "ok", "404" or "cut" (promises 1000 bytes more than it sends)."""
    routes: dict[str, tuple[str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            mode, body = routes.get(self.path, ("404", b""))
            if mode == "404":
                self.send_error(404)
                return
            extra = 1000 if mode == "cut" else 0
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + extra))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield routes, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def serve(routes, prefix: str, files: dict[str, bytes], mode: str = "ok") -> None:
    for name, raw in files.items():
        routes[f"{prefix}{name}.gz"] = (mode, gzip.compress(raw))


def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "gdlib" / "mnist"


# ---------------------------------------------------------------- parsing and round trips


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "uint8"])
def test_round_trip(tmp_path, files, gz, split, flat):
    directory = write(tmp_path / "d", files, gz=gz)
    images, labels = data.load("mnist", split, flat=flat, data_dir=directory, download=False)
    want_images, want_labels = arrays(split)
    assert labels.dtype == np.int64 and np.array_equal(labels, want_labels)
    if flat:
        assert images.dtype == np.float32 and images.shape == (N[split], 784)
        assert images.min() == 0.0 and images.max() == 1.0
        assert np.allclose(images * 255, want_images.reshape(N[split], -1), atol=1e-4)
    else:
        assert images.dtype == np.uint8 and images.shape == (N[split], 28, 28)
        assert np.array_equal(images, want_images) and images.flags.writeable


def test_gzip_detected_by_magic_not_name(tmp_path, files):
    directory = write(tmp_path / "d", files, gz=False)
    (directory / LABELS).write_bytes(gzip.compress(files[LABELS]))  # gzipped, no .gz suffix
    assert np.array_equal(data.load(data_dir=directory)[1], arrays("train")[1])


def test_load_dataset_and_repr(tmp_path, files):
    ds = data.load_dataset(data_dir=write(tmp_path / "d", files))
    assert ds.name == "mnist" and ds.x_train.shape == (12, 784) and ds.t_test.shape == (5,)
    assert repr(ds) == ("Dataset(name='mnist',\n  x_train=(12, 784) float32,\n"
                        "  t_train=(12,) int64,\n  x_test=(5, 784) float32,\n"
                        "  t_test=(5,) int64,\n)")
    assert max(len(line) for line in repr(ds).splitlines()) < 60    # never clipped on a page
    with pytest.raises(AttributeError):
        ds.name = "other"


def bad_images(shape) -> bytes:
    return idx(np.zeros(shape, np.uint8))


CORRUPTIONS = [  # (id, file, change to the uncompressed bytes, words in the message)
    ("wrong-magic", IMAGES, lambda b: b"\x12\x34" + b[2:], "magic number"),
    ("wrong-dtype", IMAGES, lambda b: b[:2] + b"\x0d" + b[3:], "dtype byte is 0x0d"),
    ("wrong-ndim", IMAGES, lambda b: b[:3] + b"\x01" + b[4:], "1 dimensions"),
    ("labels-ndim", LABELS, lambda b: b[:3] + b"\x03" + b[4:], "3 dimensions"),
    ("wrong-dims", IMAGES, lambda b: bad_images((12, 27, 28)), "27x28"),
    ("short-header", IMAGES, lambda b: b[:10], "header is truncated"),
    ("truncated", IMAGES, lambda b: b[:-1], "truncated"),
    ("trailing", IMAGES, lambda b: b + b"\0\0", "2 trailing bytes"),
    ("label-range", LABELS, lambda b: b[:-1] + b"\x0a", "label 10 out of range"),
    ("count-mismatch", IMAGES, lambda b: bad_images((11, 28, 28)), "11 images but"),
    ("checksum", IMAGES, lambda b: b[:-1] + bytes([b[-1] ^ 1]), "SHA-256"),
]


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize(("name", "change", "words"), [c[1:] for c in CORRUPTIONS],
                         ids=[c[0] for c in CORRUPTIONS])
def test_corruption_raises_data_error(tmp_path, monkeypatch, files, gz, name, change, words):
    bad = {**files, name: change(files[name])}
    if words != "SHA-256":  # register the changed file, so only the check under test can fail
        register(monkeypatch, bad)
    directory = write(tmp_path / "d", bad, gz=gz)
    with pytest.raises(DataError) as info:
        data.load("mnist", "train", data_dir=directory, download=False)
    message = str(info.value)
    assert name in message and words in message and "good copy" in message


def test_broken_gzip_names_file(tmp_path, files):
    directory = write(tmp_path / "d", files)
    path = directory / f"{IMAGES}.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=f"{IMAGES}.gz: cannot read or decompress"):
        data.load(data_dir=directory)


def test_verification_is_remembered(tmp_path, monkeypatch, files):
    calls = []
    real = hashlib.sha256
    monkeypatch.setattr(data.hashlib, "sha256", lambda b: calls.append(1) or real(b))
    directory = write(tmp_path / "d", files, gz=False)
    data.load(data_dir=directory)
    data.load(data_dir=directory)
    assert len(calls) == 2  # images and labels, hashed on the first load only
    path = directory / IMAGES
    path.write_bytes(path.read_bytes()[:-1] + b"\x07")  # same size, new mtime and content
    os.utime(path, ns=(1, 1))
    with pytest.raises(DataError, match="SHA-256"):
        data.load(data_dir=directory)


@pytest.mark.parametrize(("dataset", "split", "words"), [
    ("cifar", "train", "unknown dataset"), ("mnist", "valid", "unknown split")])
def test_bad_names(dataset, split, words):
    with pytest.raises(DataError, match=words):
        data.load(dataset, split)


# ---------------------------------------------------------------------------- search order


def test_data_dir_wins(tmp_path, monkeypatch, files):
    write(tmp_path / "env" / "mnist", files)
    write(cache_dir(tmp_path), files)
    monkeypatch.setenv("GDLIB_DATA", str(tmp_path / "env"))
    assert data.find(data_dir=write(tmp_path / "d", files)) == tmp_path / "d"
    assert data.find() == tmp_path / "env" / "mnist"


@pytest.mark.parametrize("where", ["xdg", "home", "cache_dir"])
def test_cache_locations(tmp_path, monkeypatch, files, where):
    if where == "home":
        monkeypatch.delenv("XDG_CACHE_HOME")
        expected = tmp_path / "home" / ".cache" / "gdlib" / "mnist"
    elif where == "cache_dir":
        expected = tmp_path / "mine" / "mnist"
    else:
        expected = cache_dir(tmp_path)
    write(expected, files)
    root = tmp_path / "mine" if where == "cache_dir" else None
    assert data.find(cache_dir=root) == expected
    assert len(data.load(cache_dir=root, mirrors=[closed_port_url()])[1]) == 12


def test_gdlib_data_without_dataset_folder_falls_through(tmp_path, monkeypatch, files):
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("GDLIB_DATA", str(tmp_path / "env"))
    assert data.find(cache_dir=write(tmp_path / "c" / "mnist", files).parent)


def test_system_dir_used_for_fashion(tmp_path, monkeypatch):
    files = contents()
    register(monkeypatch, files, "fashion")
    monkeypatch.setattr(data, "SYSTEM_DIRS", {"fashion": (tmp_path / "sys",)})
    write(tmp_path / "sys", files)
    assert data.find("fashion") == tmp_path / "sys"
    with pytest.raises(DataError, match="not found|could not find"):
        data.find("mnist")


@pytest.mark.parametrize(("setup", "words"), [
    ("data_dir-missing", "no such directory"),
    ("data_dir-incomplete", f"missing {LABELS}"),
    ("env-incomplete", f"missing {LABELS}"),
    ("env-missing", "no such directory"),
    ("env-relative", "not an absolute path"),
])
def test_named_places_are_not_skipped(tmp_path, monkeypatch, files, setup, words):
    partial = {n: b for n, b in files.items() if n != LABELS}
    write(cache_dir(tmp_path), files)  # a good cache must not hide the error
    data_dir = None
    if setup == "data_dir-missing":
        data_dir = tmp_path / "nope"
    elif setup == "data_dir-incomplete":
        data_dir = write(tmp_path / "d", partial)
    elif setup == "env-incomplete":
        write(tmp_path / "env" / "mnist", partial)
        monkeypatch.setenv("GDLIB_DATA", str(tmp_path / "env"))
    else:
        monkeypatch.setenv("GDLIB_DATA", "nope" if setup == "env-relative" else "/nope/x")
    with pytest.raises(DataError, match=words):
        data.load(data_dir=data_dir)


def test_corrupt_cache_file_says_delete(tmp_path, files):
    path = write(cache_dir(tmp_path), files) / f"{IMAGES}.gz"
    path.write_bytes(gzip.compress(files[IMAGES][:-1]))
    with pytest.raises(DataError, match=f"{IMAGES}.gz: truncated.*delete it and run again"):
        data.load()


def test_nothing_found_lists_places(tmp_path, monkeypatch, files):
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("GDLIB_DATA", str(tmp_path / "env"))
    monkeypatch.setattr(data, "SYSTEM_DIRS", {"fashion": (tmp_path / "sys",)})
    with pytest.raises(DataError) as info:
        data.find("fashion")
    message = str(info.value)
    for place in (tmp_path / "env" / "fashion", tmp_path / "xdg" / "gdlib" / "fashion",
                  tmp_path / "sys"):
        assert str(place) in message
    assert "apt-get install dataset-fashion-mnist" in message and "GDLIB_DATA" in message
    with pytest.raises(DataError, match="download=True"):
        data.load(download=False)
    assert not (tmp_path / "xdg").exists()  # download=False creates nothing


# ------------------------------------------------------------------------------ downloads


def test_download_success_then_cached(tmp_path, files, server, capsys):
    routes, base = server
    serve(routes, "/a/", files)
    images, labels = data.load("mnist", "test", mirrors=[f"{base}/a/"])
    assert np.array_equal(labels, arrays("test")[1]) and images.shape == (5, 784)
    progress = capsys.readouterr().err          # a reader on Binder or Colab sees it coming
    assert progress.count("gdlib.data: downloading") == 4 and "100%" in progress
    assert progress.count("checked (SHA-256) and stored") == 4
    assert sorted(p.name for p in cache_dir(tmp_path).iterdir()) == sorted(
        f"{n}.gz" for n in data.NAMES)
    routes.clear()  # the second load must not need the network
    assert data.find() == cache_dir(tmp_path)
    assert len(data.load(mirrors=[f"{base}/a/"])[1]) == 12


def test_download_fills_only_missing_files(tmp_path, files, server):
    routes, base = server
    write(cache_dir(tmp_path), {n: b for n, b in files.items() if n != LABELS})
    serve(routes, "/a/", {LABELS: files[LABELS]})
    assert len(data.load(mirrors=[f"{base}/a/"])[1]) == 12


@pytest.mark.parametrize("first", ["refused", "404"])
def test_first_mirror_down_second_works(tmp_path, files, server, first):
    routes, base = server
    serve(routes, "/b/", files)
    down = closed_port_url() if first == "refused" else f"{base}/a/"
    assert len(data.load(mirrors=[down, f"{base}/b/"])[1]) == 12


@pytest.mark.parametrize(("mode", "words"), [("bad", "SHA-256"), ("cut", "cut|IncompleteRead")])
def test_failed_download_leaves_nothing(tmp_path, files, server, mode, words):
    routes, base = server
    if mode == "bad":
        serve(routes, "/a/", {**files, IMAGES: files[IMAGES][:-1] + b"\x01"})
    else:
        serve(routes, "/a/", files, mode="cut")
    with pytest.raises(DataError) as info:
        data.load(mirrors=[f"{base}/a/"])
    message = str(info.value)
    assert f"{base}/a/{IMAGES}.gz" in message and re.search(words, message)
    assert list(cache_dir(tmp_path).iterdir()) == []  # no file, no temporary file


def test_no_data_no_network(tmp_path, files):
    url = closed_port_url()
    with pytest.raises(DataError) as info:
        data.load(mirrors=[url])
    message = str(info.value)
    assert str(cache_dir(tmp_path)) in message and url in message
    assert "Download failed" in message and "GDLIB_DATA" in message
    assert list(cache_dir(tmp_path).iterdir()) == []


# ------------------------------------------------------------------------------ real data

needs_mnist = pytest.mark.skipif(REAL_DATA is None, reason="GDLIB_DATA is not set")


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GDLIB_DATA", REAL_DATA)
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        found = data.find("mnist")
        return found, data.load_dataset("mnist", download=False)


@pytest.mark.mnist
@needs_mnist
def test_mnist_real(mnist):
    found, ds = mnist
    assert found == Path(REAL_DATA) / "mnist"
    assert ds.x_train.shape == (60000, 784) and ds.x_test.shape == (10000, 784)
    assert ds.x_train.dtype == np.float32 and ds.t_train.dtype == np.int64
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert list(ds.t_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(ds.t_test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert list(np.bincount(ds.t_train)) == counts
    assert round(float(ds.x_train.mean(dtype=np.float64)), 4) == 0.1307
    assert round(float(ds.x_test.mean(dtype=np.float64)), 4) == 0.1325


@pytest.mark.mnist
@needs_mnist
def test_mnist_real_uint8(mnist, monkeypatch):
    monkeypatch.setenv("GDLIB_DATA", REAL_DATA)
    images, labels = data.load("mnist", "test", flat=False, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images.reshape(10000, -1), np.rint(mnist[1].x_test * 255))


@pytest.mark.skipif(not all((FASHION_DIR / f"{n}.gz").is_file() for n in data.NAMES),
                    reason=f"Fashion-MNIST not in {FASHION_DIR}: "
                           "apt-get install dataset-fashion-mnist")
def test_fashion_from_debian(monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_DIRS", SYSTEM_DIRS)
    assert data.find("fashion") == FASHION_DIR
    ds = data.load_dataset("fashion", download=False)
    assert ds.x_train.shape == (60000, 784) and ds.x_test.shape == (10000, 784)
    assert list(np.bincount(ds.t_train)) == [6000] * 10
    assert list(np.bincount(ds.t_test)) == [1000] * 10
    assert list(ds.t_train[:10]) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
