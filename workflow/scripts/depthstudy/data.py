"""An MNIST-format data set in (MNIST, Fashion-MNIST, or another), one checked ``.npz`` out.

The IDX reader is strict on purpose: every training job reads the file this module writes, so a
truncated or foreign file must fail here, once, with its name in the message. Which files to expect
(their SHA-256 pins) and where Keras downloads them come from workflow/resources/datasets.yaml,
through the rule's params.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from depthstudy.io import atomic_path
from depthstudy.resources import workflow_value

log = logging.getLogger(__name__)

# The four files of LeCun's distribution, by split and kind.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def catalog() -> dict[str, dict]:
    """workflow/resources/datasets.yaml: each data set's name, Keras download, pins and classes.

    The data sets that the config's `dataset` can name. The workflow reads the file itself and gives
    each job the values that it uses as params; no rule script calls this."""
    return workflow_value("resources/datasets.yaml")


# IDX magic: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions.
_UBYTE = 0x08
_EXPECTED_NDIM = {"x": 3, "y": 1}

DOWNLOAD_HELP = (
    "Download the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) of {dataset} from a mirror into a folder, "
    "then run with  --config data_dir=/path/to/that/folder  (or set data_dir in config.yaml)."
)


class DataError(ValueError):
    """A data file is missing, malformed or not the expected data set."""


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


def load_idx_folder(
    folder: str | Path, sha256: dict[str, str] | None = None, dataset: str = "mnist"
) -> dict[str, np.ndarray]:
    """Read and check the four IDX files in ``folder`` against ``dataset``'s pins (None: no check)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data_dir {folder}: not a folder. {DOWNLOAD_HELP.format(dataset=dataset)}")
    arrays = {}
    for key, stem in IDX_FILES.items():
        path = find_idx_file(folder, stem)
        raw = read_idx_bytes(path)
        if sha256 is not None:
            digest = hashlib.sha256(raw).hexdigest()
            if digest != sha256[stem]:
                raise DataError(
                    f"{path}: SHA-256 of the decompressed file is {digest}, not {dataset}'s "
                    f"{sha256[stem]} (workflow/resources/datasets.yaml). Is dataset: {dataset} the data "
                    "set in data_dir? Set verify_checksums: false to use another MNIST-format data set."
                )
        arrays[key] = parse_idx(raw, str(path), _EXPECTED_NDIM[key[0]])
    if sha256 is None:
        log.warning("verify_checksums is false: no SHA-256 pins were checked for %s", folder)
    else:
        log.info("all four files match %s's SHA-256 pins", dataset)
    check_arrays(arrays, {k: str(find_idx_file(folder, s)) for k, s in IDX_FILES.items()})
    return arrays


def load_keras(dataset: str = "mnist") -> dict[str, np.ndarray]:
    """A data set through Keras' own download and cache: ``keras.datasets.<dataset>``."""
    import keras  # only this path needs Keras; reading IDX folders does not

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, dataset).load_data()
    except Exception as err:  # network errors come in many types
        help = DOWNLOAD_HELP.format(dataset=dataset)
        raise DataError(f"{dataset} could not be downloaded through Keras ({err}). {help}") from err
    log.info("%s from the Keras cache; Keras checked the download's own hash, no IDX pins apply", dataset)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    check_arrays(arrays, {k: f"keras.datasets.{dataset}" for k in arrays})
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


def prepare(
    out_path: str | Path,
    data_dir: str | None = None,
    sha256: dict[str, str] | None = None,
    dataset: str = "mnist",
    keras: str | None = "mnist",
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> dict[str, tuple[int, ...]]:
    """Write the prepared ``.npz`` (uint8), keeping the first ``limit_*`` images of each split.

    The images come from ``data_dir`` (checked against ``sha256``, unless None) or, without it, from
    Keras' download ``keras.datasets.<keras>``. This is the one place where image limits apply, so every job
    sees the same subset.
    """
    arrays = load_idx_folder(data_dir, sha256, dataset) if data_dir else load_keras(keras)
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
    """The arrays of a prepared ``.npz``."""
    with np.load(path) as npz:
        return {k: npz[k] for k in IDX_FILES}


def probe_indices(n_train: int, size: int, seed: int) -> np.ndarray:
    """Indices of the fixed probe batch: the same training images for every job of a study."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_train, size=min(size, n_train), replace=False))


def class_shares(arrays: dict[str, np.ndarray], names: list[str] | None = None) -> pd.DataFrame:
    """Images per class (named by ``names[label]``, or the label) in the training and test sets, and
    each class's share of the test set.

    The most frequent test class is the accuracy of a network that always predicts it: the chance
    line of the figures (the digit 1, 0.1135, on the full MNIST test set; Fashion-MNIST's test set
    has 1,000 images of each class).
    """
    classes = np.union1d(arrays["y_train"], arrays["y_test"])
    train = [int(np.sum(arrays["y_train"] == c)) for c in classes]
    test = [int(np.sum(arrays["y_test"] == c)) for c in classes]
    names = [names[c] if names else str(c) for c in classes]
    share = np.array(test) / len(arrays["y_test"])
    return pd.DataFrame({"label": classes, "class": names, "train": train, "test": test, "test_share": share})
