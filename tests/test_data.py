"""The IDX reader and prepare: real formats, real failures, nothing half-written."""

import gzip
import hashlib

import numpy as np
import pytest

from depthstudy.data import (
    IDX_FILES,
    DataError,
    catalog,
    load_idx_folder,
    parse_idx,
    prepare,
    probe_indices,
    read_idx_bytes,
)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder, n_train=12, n_test=5, gz=True, labels=None):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28)),
        "y_train": rng.integers(0, 10, n_train) if labels is None else labels,
        "x_test": rng.integers(0, 256, (n_test, 28, 28)),
        "y_test": rng.integers(0, 10, n_test),
    }
    folder.mkdir(exist_ok=True)
    for key, stem in IDX_FILES.items():
        raw = idx_bytes(np.asarray(arrays[key]))
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_reads_gzipped_and_raw_folders(tmp_path, gz):
    arrays = write_idx_folder(tmp_path / "d", gz=gz)
    loaded = load_idx_folder(tmp_path / "d")
    for key in IDX_FILES:
        np.testing.assert_array_equal(loaded[key], arrays[key])
        assert loaded[key].dtype == np.uint8


def test_parse_checks_magic_dimensions_and_length():
    good = idx_bytes(np.zeros((2, 28, 28)))
    assert parse_idx(good, "f", 3).shape == (2, 28, 28)
    with pytest.raises(DataError, match="f: bad magic number 00000903"):
        parse_idx(b"\x00\x00\x09\x03" + good[4:], "f")
    with pytest.raises(DataError, match="3 dimensions in header, expected 1"):
        parse_idx(good, "f", 1)
    with pytest.raises(DataError, match="truncated or corrupt"):
        parse_idx(good[:-1], "f", 3)
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"", "f")


@pytest.mark.parametrize(
    "damage, message",
    [
        ("missing", "file not found"),
        ("empty", "too short for an IDX header"),
        ("truncated_gz", "cannot read or decompress"),
        ("wrong_magic", "bad magic number"),
        ("truncated_body", "truncated or corrupt"),
    ],
)
def test_bad_files_fail_with_the_file_named_and_leave_no_npz(tmp_path, damage, message):
    write_idx_folder(tmp_path / "d")
    victim = tmp_path / "d" / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(victim.read_bytes())
    if damage == "missing":
        victim.unlink()
    elif damage == "empty":
        victim.write_bytes(b"")
    elif damage == "truncated_gz":
        victim.write_bytes(victim.read_bytes()[:-9])
    elif damage == "wrong_magic":
        victim.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + raw[4:]))
    elif damage == "truncated_body":
        victim.write_bytes(gzip.compress(raw[:-3]))
    out = tmp_path / "out" / "mnist.npz"
    with pytest.raises(DataError, match=message) as err:
        prepare(out, data_dir=str(tmp_path / "d"))
    assert "train-labels-idx1-ubyte" in str(err.value)
    assert not out.exists()
    assert not list(out.parent.glob("*")) if out.parent.exists() else True


def test_label_count_and_range_are_checked(tmp_path):
    write_idx_folder(tmp_path / "a", labels=np.zeros(11, dtype=np.uint8))
    with pytest.raises(DataError, match="11 labels for 12 images"):
        load_idx_folder(tmp_path / "a")
    write_idx_folder(tmp_path / "b", labels=np.full(12, 10, dtype=np.uint8))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: label 10 outside 0-9"):
        load_idx_folder(tmp_path / "b")


def test_checksum_mismatch_names_the_file_and_the_way_out(tmp_path):
    write_idx_folder(tmp_path / "d")
    pins = catalog()["fashion_mnist"]["sha256"]
    message = "train-images-idx3-ubyte.gz: SHA-256.*not fashion_mnist's.*verify_checksums: false"
    with pytest.raises(DataError, match=message):
        load_idx_folder(tmp_path / "d", pins, "fashion_mnist")


def test_missing_folder_says_how_to_get_the_data(tmp_path):
    with pytest.raises(DataError, match="data_dir=/path/to/that/folder"):
        load_idx_folder(tmp_path / "nowhere")


def test_limits_apply_and_too_large_a_limit_fails(tmp_path):
    write_idx_folder(tmp_path / "d")
    shapes = prepare(tmp_path / "m.npz", str(tmp_path / "d"), limit_train=7, limit_test=3)
    assert shapes["x_train"] == (7, 28, 28) and shapes["y_test"] == (3,)
    with pytest.raises(DataError, match="limit_train = 13 is larger than the 12 train images"):
        prepare(tmp_path / "n.npz", str(tmp_path / "d"), limit_train=13)
    assert not (tmp_path / "n.npz").exists()


def test_probe_indices_are_fixed_and_distinct():
    a, b = probe_indices(1000, 100, 0), probe_indices(1000, 100, 0)
    np.testing.assert_array_equal(a, b)
    assert len(set(a)) == 100 and a.max() < 1000


def test_real_mnist_matches_the_pins(mnist_dir):
    pins = catalog()["mnist"]["sha256"]
    for stem, digest in pins.items():
        assert hashlib.sha256(read_idx_bytes(mnist_dir / f"{stem}.gz")).hexdigest() == digest
    arrays = load_idx_folder(mnist_dir, pins)
    assert arrays["x_train"].shape == (60000, 28, 28) and arrays["x_test"].shape == (10000, 28, 28)
    # 0.1135 in the report is the share of the digit 1 among the test labels
    assert np.mean(arrays["y_test"] == 1) == pytest.approx(0.1135)


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist"])
def test_without_data_dir_keras_downloads_or_the_error_says_how_to_get_the_data(tmp_path, dataset):
    """Online (or with Keras' cache) this downloads the data set; offline it must explain data_dir."""
    out = tmp_path / f"{dataset}.npz"
    keras_module = catalog()[dataset]["keras"]
    try:
        shapes = prepare(out, dataset=dataset, keras=keras_module)
    except DataError as err:
        assert f"{dataset} could not be downloaded through Keras" in str(err) and "--config data_dir=" in str(err)
        assert "IDX files (train-images-idx3-ubyte.gz, " in str(err) and f"of {dataset} from a mirror" in str(err)
        assert not out.exists()
    else:
        assert shapes["x_train"] == (60000, 28, 28)
