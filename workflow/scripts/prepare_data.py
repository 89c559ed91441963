"""Rule prepare_data: MNIST from data_dir or Keras' cache into results/data/mnist.npz."""

from depthstudy.data import prepare_mnist
from depthstudy.io import setup_logging

setup_logging(snakemake.log[0])  # noqa: F821 (injected by Snakemake)
params = snakemake.params  # noqa: F821
prepare_mnist(
    snakemake.output.npz,  # noqa: F821
    data_dir=params.data_dir,
    verify_checksums=params.verify_checksums,
    limit_train=params.limit_train,
    limit_test=params.limit_test,
)
