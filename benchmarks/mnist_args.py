"""What the training benchmarks share: the package on sys.path, the --data-dir option, and MNIST read
through the workflow's loader (the IDX folder, checked against the catalog's checksums, or Keras' cache)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the script's docstring as its help and the --data-dir option."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files (default: Keras' cache)")
    return parser


def load_mnist(data_dir: str | None) -> dict:
    """MNIST's four arrays, without TensorFlow's thread pools being touched (callers set them next)."""
    from depthstudy.data import catalog, load_idx_folder, load_keras

    return load_idx_folder(data_dir, catalog()["mnist"]["sha256"]) if data_dir else load_keras()
