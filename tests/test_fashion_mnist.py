"""Finding, verifying and downloading the Fashion-MNIST files (section 2.1)."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from course_utils import fashion_mnist as fm


@pytest.fixture
def mirror(tmp_path: Path, real_files: dict[str, Path]):
    """An HTTP server on 127.0.0.1 serving the four .gz files under /good/."""
    root = tmp_path / "www"
    good = root / "good"
    good.mkdir(parents=True)
    for key, src in real_files.items():
        dst = good / f"{fm.FASHION_MNIST_FILES[key].name}.gz"
        if src.suffix == ".gz":
            shutil.copy(src, dst)
        else:
            dst.write_bytes(gzip.compress(src.read_bytes(), compresslevel=1))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_finds_and_verifies_the_installed_files(real_files):
    assert sorted(real_files) == ["test_images", "test_labels", "train_images", "train_labels"]
    for key, path in real_files.items():
        data = fm._verify(path, fm.FASHION_MNIST_FILES[key])
        assert len(data) == fm.FASHION_MNIST_FILES[key].size


def test_read_split_shapes_and_dtypes():
    X, y = fm.read_fashion_mnist(train=False, download=False)
    assert X.shape == (10_000, 28, 28) and str(X.dtype) == "torch.uint8"
    assert y.shape == (10_000,) and str(y.dtype) == "torch.int64"
    assert int(y.min()) == 0 and int(y.max()) == 9


def test_course_data_dir_comes_first(tmp_path, monkeypatch, real_files):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    copy = tmp_path / "t10k-labels-idx1-ubyte.gz"
    shutil.copy(real_files["test_labels"], copy)
    found = fm.find_fashion_mnist(download=False)
    assert found["test_labels"] == copy
    assert fm.cache_dir() == tmp_path


def test_uncompressed_files_are_accepted(tmp_path, real_files):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(fm._read_bytes(real_files["test_labels"]))
    assert len(fm._verify(raw, fm.FASHION_MNIST_FILES["test_labels"])) == 10_008


def test_flipped_bytes_are_detected(small_files):
    path = small_files / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[5000] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(fm.DatasetError) as info:
        fm._verify(path, fm.FASHION_MNIST_FILES["test_labels"])
    message = str(info.value)
    assert str(path) in message and "corrupt" in message
    assert fm.FASHION_MNIST_FILES["test_labels"].sha256 in message
    assert "Delete the file" in message


def test_truncated_gzip_is_detected(small_files):
    path = small_files / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(fm.DatasetError, match="truncated or corrupt") as info:
        fm._verify(path, fm.FASHION_MNIST_FILES["test_images"])
    assert str(path) in str(info.value)


def test_truncated_raw_file_is_detected(tmp_path, real_files):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(fm._read_bytes(real_files["test_labels"])[:-100])
    with pytest.raises(fm.DatasetError, match="expected 10,008 decompressed bytes") as info:
        fm._verify(raw, fm.FASHION_MNIST_FILES["test_labels"])
    assert "got 9,908 bytes" in str(info.value)


def test_corrupt_file_in_data_dir_is_never_trained_on(tmp_path, monkeypatch, real_files):
    """A corrupt file found first is an error, not silently replaced by another copy."""
    for key, src in real_files.items():
        shutil.copy(src, tmp_path / src.name)
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = bytearray(gzip.decompress(bad.read_bytes()))
    data[-1] ^= 0x01
    bad.write_bytes(gzip.compress(bytes(data), compresslevel=1))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(fm.DatasetError, match="corrupt"):
        fm.read_fashion_mnist(train=False)


def test_missing_data_offline_names_every_fix(no_data_env):
    with pytest.raises(fm.DatasetError) as info:
        fm.find_fashion_mnist(download=False, search_dirs=[no_data_env])
    message = str(info.value)
    assert "COURSE_DATA_DIR" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "connect to the internet" in message
    assert str(no_data_env) in message


def test_unreachable_mirrors_name_every_fix(no_data_env):
    dead = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    with pytest.raises(fm.DatasetError) as info:
        fm.find_fashion_mnist(mirrors=[dead], search_dirs=[no_data_env], timeout=2)
    message = str(info.value)
    assert "could not download" in message and "127.0.0.1:9" in message
    assert "COURSE_DATA_DIR" in message and "dataset-fashion-mnist" in message


def test_download_falls_back_to_the_next_mirror(no_data_env, mirror):
    url, _ = mirror
    found = fm.find_fashion_mnist(mirrors=[f"{url}/missing/", f"{url}/good/"], search_dirs=[no_data_env])
    assert all(path.parent == no_data_env / "fashion-mnist" for path in found.values())
    assert not list((no_data_env / "fashion-mnist").glob("*.part*")), "temporary files must be removed"
    # A second call finds the cached files without the network.
    again = fm.find_fashion_mnist(download=False, search_dirs=[fm.cache_dir()])
    assert again == found


def test_corrupt_download_is_not_kept(no_data_env, mirror):
    url, root = mirror
    served = root / "good" / "train-labels-idx1-ubyte.gz"
    served.write_bytes(gzip.compress(b"\x00" * 100))
    with pytest.raises(fm.DatasetError) as info:
        fm.find_fashion_mnist(mirrors=[f"{url}/good/"], search_dirs=[no_data_env])
    assert "train-labels-idx1-ubyte" in str(info.value)
    target = no_data_env / "fashion-mnist"
    assert not (target / "train-labels-idx1-ubyte.gz").exists()
    assert not list(target.glob("*.part*"))


def test_wrong_magic_number_is_reported(tmp_path):
    with pytest.raises(fm.DatasetError, match="not an IDX file of 3 dimensions"):
        fm._decode_idx(b"\x00\x00\x08\x01" + b"\x00" * 8, tmp_path / "x", 3)


def test_cache_dir_outside_a_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fake_module = tmp_path / "site-packages" / "course_utils" / "fashion_mnist.py"
    monkeypatch.setattr(fm, "__file__", str(fake_module))
    assert fm.cache_dir() == tmp_path / "course_utils"
