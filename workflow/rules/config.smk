# The config, read and checked before anything else: values from the command line typed as the
# schema types them, then the schema's check. An error is a few lines that name the key and the
# config file that set it (depthstudy.pipeline), then the run stops.

import os
import sys
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# the package beside the rule scripts, for the workflow's own logic (depthstudy.pipeline)
sys.path.insert(0, str(Path(workflow.current_basedir).parent / "scripts"))

from depthstudy import pipeline
from depthstudy.resources import workflow_value


def config_layers():
    """(file, values) of every config file, in the order that Snakemake merges them (the Snakefile's
    configfile, then each --configfile), and the --config values last."""
    given = [str(path) for path in workflow.config_settings.configfiles]
    files = [str(path) for path in workflow.configfiles if str(path) not in given]
    layers = [
        (os.path.relpath(path), yaml.safe_load(Path(path).read_text()) or {})
        for path in files + given
    ]
    if workflow.config_settings.config:
        layers.append(("--config", workflow.config_settings.config))
    return layers


CONFIG_LAYERS = config_layers()
# for messages: the files that this run's config came from
CONFIG_FILES = pipeline.config_files(CONFIG_LAYERS) or "the config"

config.update(pipeline.typed(config, workflow_value("schemas/config.schema.yaml")))
try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as error:
    raise SystemExit(pipeline.config_error(error.__context__, CONFIG_LAYERS))
