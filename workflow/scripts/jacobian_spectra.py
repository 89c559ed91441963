"""Rule jacobian_spectra: the spectrum of every net's Jacobian at initialisation, against the theory."""

from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before TensorFlow loads (Keras draws the kernels): its C++ output goes to the log
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))

import numpy as np  # noqa: E402

from depthstudy import jacobian  # noqa: E402
from depthstudy.data import load_prepared, probe_indices  # noqa: E402
from depthstudy.io import write_csv, write_text  # noqa: E402

x_train = load_prepared(sm.input.data)["x_train"]
probe = x_train[probe_indices(len(x_train), sm.params.probe["size"], sm.params.probe["seed"])][: jacobian.IMAGES]
x = probe.reshape(len(probe), -1).astype(np.float64) / 255.0  # as the networks see them
spectra, quantiles = jacobian.measure(sm.params.nets, sm.params.seeds, x)
table = jacobian.table(spectra, sm.params.nets, x)
write_csv(spectra, sm.output.spectra)
write_csv(quantiles, sm.output.quantiles)
write_csv(table, sm.output.csv)
write_text(jacobian.jacobian_markdown(table, sm.params.dataset), sm.output.md)
