"""Figure rules: read each named input (one CSV or several, concatenated) and call the figure function.

The function is ``params.figure``, "module.function" of one of the figure modules below; its frame
arguments are named like the rule's inputs.
"""

from depthstudy import claims_figures, figures, theory_figures
from depthstudy.io import read_frames
from depthstudy.logs import job_name, start_job

MODULES = {
    "figures": figures,
    "theory_figures": theory_figures,
    "claims_figures": claims_figures,
}

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], job_name(sm.rule, sm.wildcards))
frames = read_frames(sm.input)
module, function = sm.params.figure.split(".")
draw = getattr(MODULES[module], function)
options = dict(sm.params.get("options", {}))
if "title" in options:  # every figure of data says which data set it shows
    options["title"] = f"{sm.params.dataset}: {figures.display_words(options['title'])}"
draw(**frames, out=sm.output[0], plot=sm.params.plot, **options)
