"""Figure rules: read each named input (one CSV or several, concatenated) and call the figure function.

The function is ``depthstudy.figures.<params.figure>``; its frame arguments are named like the inputs.
"""

from depthstudy import figures
from depthstudy.io import read_frames
from depthstudy.logs import job_name, start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = read_frames(sm.input)
draw = getattr(figures, sm.params.figure)
options = dict(sm.params.get("options", {}))
if "title" in options:  # every figure of data says which data set it shows
    options["title"] = f"{sm.params.dataset}: {options['title']}"
draw(**frames, out=sm.output[0], plot=sm.params.plot, **options)
