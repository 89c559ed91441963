"""MNIST in, one checked ``mnist.npz`` out.

The IDX reader is strict on purpose: every training job reads the file this module writes, so a
truncated or foreign file must fail here, once, with its name in the message.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from depthstudy.io import atomic_path

log = logging.getLogger(__name__)

# The four files of LeCun's distribution, by split and kind.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# SHA-256 of the *decompressed* official files (mirrors recompress the .gz, so pin the content).
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# IDX magic: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions.
_UBYTE = 0x08
_EXPECTED_NDIM = {"x": 3, "y": 1}

DOWNLOAD_HELP = (
    "Download the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from an MNIST mirror into a folder, "
    "then run with  --config data_dir=/path/to/that/folder  (or set data_dir in config.yaml)."
)


class DataError(ValueError):
    """A data file is missing, malformed or not the expected MNIST."""


def find_idx_file(folder: Path, stem: str) -> Path:
    """The gzipped or raw IDX file ``stem`` in ``folder``."""
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder / (stem + '.gz')}: file not found (nor {stem} uncompressed)")


def read_idx_bytes(path: Path) -> bytes:
    """The decompressed bytes of an IDX file, gzipped or not."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: cannot read or decompress ({err})") from err
    return raw


def parse_idx(raw: bytes, name: str, ndim: int | None = None) -> np.ndarray:
    """Parse IDX bytes into a uint8 array, checking magic, dimensions and byte count."""
    if len(raw) < 4:
        raise DataError(f"{name}: too short for an IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE:
        raise DataError(f"{name}: bad magic number {raw[:4].hex()} (expected 000008xx, unsigned bytes)")
    dims_n = raw[3]
    if ndim is not None and dims_n != ndim:
        raise DataError(f"{name}: {dims_n} dimensions in header, expected {ndim}")
    header = 4 + 4 * dims_n
    if len(raw) < header:
        raise DataError(f"{name}: header truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims_n))
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(
            f"{name}: {len(raw)} bytes, but its header {dims} needs {expected}; the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_idx_folder(folder: str | Path, verify_checksums: bool = True) -> dict[str, np.ndarray]:
    """Read and check the four MNIST IDX files in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data_dir {folder}: not a folder. {DOWNLOAD_HELP}")
    arrays = {}
    for key, stem in IDX_FILES.items():
        path = find_idx_file(folder, stem)
        raw = read_idx_bytes(path)
        if verify_checksums:
            digest = hashlib.sha256(raw).hexdigest()
            if digest != MNIST_SHA256[stem]:
                raise DataError(
                    f"{path}: SHA-256 of the decompressed file is {digest}, not MNIST's published "
                    f"{MNIST_SHA256[stem]}. Set verify_checksums: false to use another MNIST-format data set."
                )
        arrays[key] = parse_idx(raw, str(path), _EXPECTED_NDIM[key[0]])
    if not verify_checksums:
        log.warning("verify_checksums is false: no SHA-256 pins were checked for %s", folder)
    else:
        log.info("all four files match MNIST's published SHA-256 pins")
    check_arrays(arrays, {k: str(find_idx_file(folder, s)) for k, s in IDX_FILES.items()})
    return arrays


def load_keras_mnist() -> dict[str, np.ndarray]:
    """MNIST through Keras' own download and cache (``~/.keras/datasets/mnist.npz``)."""
    import keras  # only this path needs Keras; reading IDX folders does not

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:  # network errors come in many types
        raise DataError(f"MNIST could not be downloaded through Keras ({err}). {DOWNLOAD_HELP}") from err
    log.info("MNIST from the Keras cache; Keras checked the file's own hash, no IDX pins apply")
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    check_arrays(arrays, {k: "keras mnist.npz" for k in arrays})
    return arrays


def check_arrays(arrays: dict[str, np.ndarray], names: dict[str, str]) -> None:
    """Images and labels agree in count, images are 28x28, labels are digits."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.shape[1:] != (28, 28):
            raise DataError(f"{names[f'x_{split}']}: images are {x.shape[1:]}, expected 28x28")
        if len(x) != len(y):
            raise DataError(f"{names[f'y_{split}']}: {len(y)} labels for {len(x)} images in {names[f'x_{split}']}")
        if len(y) and y.max() > 9:
            raise DataError(f"{names[f'y_{split}']}: label {int(y.max())} outside 0-9")


def prepare_mnist(
    out_path: str | Path,
    data_dir: str | None = None,
    verify_checksums: bool = True,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> dict[str, tuple[int, ...]]:
    """Write ``mnist.npz`` (uint8), keeping the first ``limit_*`` images of each split.

    This is the one place where image limits apply, so every job sees the same subset.
    """
    arrays = load_idx_folder(data_dir, verify_checksums) if data_dir else load_keras_mnist()
    for split, limit in (("train", limit_train), ("test", limit_test)):
        n = len(arrays[f"x_{split}"])
        if limit is not None:
            if limit > n:
                raise DataError(f"limit_{split} = {limit} is larger than the {n} {split} images available")
            arrays[f"x_{split}"] = arrays[f"x_{split}"][:limit]
            arrays[f"y_{split}"] = arrays[f"y_{split}"][:limit]
    arrays = {k: np.ascontiguousarray(v, dtype=np.uint8) for k, v in arrays.items()}
    with atomic_path(out_path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    shapes = {k: v.shape for k, v in arrays.items()}
    log.info("wrote %s: %s", out_path, shapes)
    return shapes


def load_prepared(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a prepared ``mnist.npz``."""
    with np.load(path) as npz:
        return {k: npz[k] for k in IDX_FILES}


def probe_indices(n_train: int, size: int, seed: int) -> np.ndarray:
    """Indices of the fixed probe batch: the same training images for every job of a study."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_train, size=min(size, n_train), replace=False))


def class_shares(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """Images per class in the training and test sets, and each class's share of the test set.

    The most frequent test class is the accuracy of a network that always predicts it: the chance
    line of the figures (the digit 1, 0.1135, on the full MNIST test set).
    """
    classes = np.union1d(arrays["y_train"], arrays["y_test"])
    train = [int(np.sum(arrays["y_train"] == c)) for c in classes]
    test = [int(np.sum(arrays["y_test"] == c)) for c in classes]
    return pd.DataFrame(dict(label=classes, train=train, test=test, test_share=np.array(test) / len(arrays["y_test"])))
