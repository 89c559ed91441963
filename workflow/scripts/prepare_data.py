"""Rule prepare_data: the data set from data_dir or Keras' cache into results/data/<dataset>.npz."""

from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))  # before Keras (and TensorFlow) may load

from depthstudy.data import prepare  # noqa: E402

prepare(
    sm.output.npz,
    data_dir=sm.params.data_dir,
    sha256=sm.params.sha256,
    dataset=sm.params.dataset,
    keras=sm.params.keras,
    limit_train=sm.params.limit_train,
    limit_test=sm.params.limit_test,
)
