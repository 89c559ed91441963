"""Rule phase_table: the phase diagram's cells, its summary per snapshot, and the Markdown report."""

import pandas as pd

from depthstudy import phase_diagram, theory
from depthstudy.io import as_list, write_csv, write_text
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
settings = sm.params.settings
nets = pd.concat(map(pd.read_csv, as_list(sm.input.nets)), ignore_index=True)
cells = phase_diagram.cells(nets, settings["activation"], settings["sigma_b2"], settings["trains_above"])
critical = theory.critical_sigma_w2(settings["activation"], settings["sigma_b2"])
summary = phase_diagram.summary(cells, phase_diagram.outcomes(nets, settings["trains_above"]), critical)
write_csv(cells, sm.output.csv)
write_csv(summary, sm.output.summary)
write_text(phase_diagram.phase_markdown(cells, summary, settings, sm.params.dataset, critical), sm.output.md)
