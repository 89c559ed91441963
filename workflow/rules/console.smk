# What a run says when it ends (the Snakefile's onsuccess and onerror): where its results are and how
# to make its report, or which jobs failed and where their logs are. The job blocks Snakemake prints
# for every job are quieted by the workflow profile (profiles/default), which also hides a failed
# job's block: this message is where a failure's log is named.

import shlex
import sys
from pathlib import Path


def run_options():
    """The --configfile and --config options of this run, as typed (config files relative to the
    working directory), so that a command built from them sees the same config."""
    files = []
    for path in workflow.config_settings.configfiles:
        path = Path(path)
        files.append(
            str(path.relative_to(Path.cwd()))
            if path.is_relative_to(Path.cwd())
            else str(path)
        )
    options = ["--configfile", *files] if files else []
    if workflow.config_settings.config_args:
        options += ["--config", *workflow.config_settings.config_args]
    return " ".join(shlex.quote(option) for option in options)


def report_command():
    """The command that makes this run's HTML report: a report takes the config of its run."""
    return " ".join(
        filter(None, ["snakemake --report", f"{RESULTS}/report.html", run_options()])
    )


def say(lines):
    """Print the closing lines on the console (stderr, with Snakemake's own)."""
    print("\n" + "\n".join(lines), file=sys.stderr, flush=True)


def closing_success():
    say(
        [
            f"The study's results are in {RESULTS}/: tables in {RESULTS}/tables/ "
            "(experiments.md sets every exercise side by side),",
            f"figures in {RESULTS}/figures/, each job's log in {RESULTS}/logs/.",
            f"The HTML report of this run:  {report_command()}",
        ]
    )


def closing_error():
    # the jobs that failed, from Snakemake's scheduler; a run stopped otherwise (a kill) has none
    failed = sorted(
        getattr(getattr(workflow, "scheduler", None), "failed", ()),
        key=lambda job: (job.rule.name, str(job.wildcards)),
    )
    lines = (
        [
            f"The run stopped: {len(failed)} job(s) failed. Each job's error is on its line above, "
            "its traceback in its log:"
        ]
        if failed
        else ["The run stopped before every job finished (see above)."]
    )
    for job in failed:
        wildcards = ", ".join(f"{k}={v}" for k, v in job.wildcards.items())
        logs = (
            ", ".join(map(str, job.log))
            or "no log of its own, see Snakemake's log below"
        )
        lines.append(f"  {job.rule.name} {wildcards}".rstrip() + f": {logs}")
    lines.append(
        "Finished jobs are kept: run the same command again once the cause is fixed "
        "(after a kill, with --rerun-incomplete)."
    )
    say(lines)
