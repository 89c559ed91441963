"""Rule prepare_data: MNIST from data_dir or Keras' cache into results/data/mnist.npz."""

from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))  # before Keras (and TensorFlow) may load

from depthstudy.data import prepare_mnist  # noqa: E402

prepare_mnist(
    sm.output.npz,
    data_dir=sm.params.data_dir,
    verify_checksums=sm.params.verify_checksums,
    limit_train=sm.params.limit_train,
    limit_test=sm.params.limit_test,
)
