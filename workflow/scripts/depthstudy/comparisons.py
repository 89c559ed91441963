"""Every comparison that the README or claims.md draws, with a 95 % interval and a test.

A claim is one of two kinds:
- "beats": A's mean test accuracy is higher than B's. It holds at 95 % when the whole 95 % interval
  of the difference lies above 0 (the two-sided test's p < 0.05, in the claimed direction).
- "as good as": A is not worse than B by more than MARGIN. It holds at 95 % when the interval's
  lower end lies above -MARGIN (a non-inferiority test). A difference of two means that the seeds
  cannot tell from 0 is not evidence that the two are equal; this is the test that can be.

The difference's interval comes from Welch's t-test (depthstudy.stats says why not a bootstrap);
against the report's single CNN run, which has no spread, from a one-sample t-test. The p-value is
the claim's own: two-sided for "beats", one-sided against a difference of -MARGIN or worse for "as
good as". The networks' comparisons are one family of claims (the study's and claims.md's conclusions
are drawn together), so each p is Holm-adjusted over the family, and a claim holds when its adjusted p
is below ALPHA (the CNN against the report's single number is a question of its own, unadjusted):
of twenty comparisons where nothing differs, the chance that any passes stays below 5 %. To put both
kinds on one scale, a non-inferiority p enters the family doubled (so that it holds
unadjusted exactly when the interval's lower end lies above -MARGIN, as a "beats" p of 0.05 does at 0).

Three rules keep the verdicts honest about the seeds:
- A diverged seed is a failed net, not a missing one: it counts with FAILED_ACCURACY, chance for the
  ten classes of every data set the study reads. Dropping it would leave the seeds that happened to
  stay finite, a survivorship bias in favour of unstable nets.
- Each group's sd counts as at least the metric's resolution, 1 / test images (``stats.welch``): two
  groups whose seeds agree to the image differ by no more than the metric can tell.
- Stability: with a second, disjoint set of seeds (config ``seeds_b``), every comparison is also
  tested on that set alone and on both sets together, each set a family of its own. A comparison
  whose verdict differs between the two sets is *undecided*, whatever either says alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from depthstudy import markdown, names, stats

ALPHA = 0.05  # of the family, after Holm's adjustment
MARGIN = 0.02  # "as good as": at most 2 points of test accuracy worse, smaller than any depth effect here
FAILED_ACCURACY = 0.1  # a diverged seed's test accuracy: chance for ten classes, what a net that learnt nothing gets
DIFFERENCE_BOUNDS = (-1.0, 1.0)  # a difference of two accuracies; its interval stays within them
TESTS = {
    "welch": "Welch's t",
    "one_sample": "one-sample t",
}


def resolution(prepared_npz) -> float:
    """The test accuracy's step, 1 / test images, of the prepared data set (results/data/*.npz)."""
    with np.load(prepared_npz) as data:
        return 1.0 / len(data["y_test"])


def _accuracies(metrics: pd.DataFrame, exercise: str, activation: str, depth: int) -> pd.Series:
    """Every seed's test accuracy, a diverged seed's as FAILED_ACCURACY."""
    sel = metrics[(metrics.exercise == exercise) & (metrics.activation == activation) & (metrics.depth == depth)]
    return sel.test_accuracy.where(~sel.diverged.astype(bool), FAILED_ACCURACY)


def _diverged(metrics: pd.DataFrame, exercise: str, activation: str, depth: int) -> int:
    sel = metrics[(metrics.exercise == exercise) & (metrics.activation == activation) & (metrics.depth == depth)]
    return int(sel.diverged.astype(bool).sum())


def _label(exercise: str, activation: str, settings: dict) -> str:
    return f"{names.display(activation)} ({settings.get(exercise, exercise)})"


def planned(metrics: pd.DataFrame, settings: dict, deepest: int) -> list[dict]:
    """The comparisons that this run's grid allows: (name, claim kind, A, B), A and B as
    (exercise, activation, depth). ``settings`` labels each exercise (its init or cure)."""
    have = set(metrics[["exercise", "activation", "depth"]].itertuples(index=False, name=None))
    rows = []

    def add(name, kind, a, b):
        if a in have and b in have:
            rows.append(dict(comparison=name, kind=kind, a=a, b=b))

    for depth in sorted(metrics.loc[metrics.exercise == "ex1d_trained", "depth"].unique()):
        add(f"LeCun's tanh beats Tanh at {depth} layers", "beats", ("ex1d_trained", "lecun", depth),
            ("ex1d_trained", "tanh", depth))  # fmt: skip
    add(f"Tanh beats ReLU at {deepest} layers", "beats", ("ex1", "tanh", deepest), ("ex1", "relu", deepest))
    cures = sorted(e for e in metrics.exercise.unique() if e.startswith("cure_"))
    for cure in cures:
        sel = metrics[metrics.exercise == cure]
        for activation in names.in_order(sel.activation):
            # the baseline: the same activation under Glorot init without the cure; SELU replaces ReLU
            base = activation if ("ex1", activation, deepest) in have else "relu"
            for depth in sorted(sel[sel.activation == activation].depth.unique()):
                add(
                    f"{_label(cure, activation, settings)} beats {names.display(base)} (Glorot) at {depth} layers",
                    "beats",
                    (cure, activation, depth),
                    ("ex1", base, depth),
                )
    # claims.md (c): networks that are not zero-centred train as well as Tanh once the variance is kept
    for cure, activation in (("cure_he_init", "relu"), ("cure_selu", "selu")):
        add(
            f"{_label(cure, activation, settings)} is as good as Tanh at {deepest} layers",
            "as good as",
            (cure, activation, deepest),
            ("ex1", "tanh", deepest),
        )
    return rows


def _claim(kind: str, result: dict) -> tuple[float, bool]:
    """(p of the claim's test on the family's scale, whether the difference points the claimed way)."""
    if kind == "beats":
        return result["p"], result["diff"] > 0
    return min(1.0, 2 * stats.noninferiority_p(result, MARGIN)), True


def comparisons_table(
    metrics: pd.DataFrame,
    deepest: int,
    *,
    cnn: pd.DataFrame | None = None,
    report_cnn: float | None = None,
    settings: dict | None = None,
    resolution: float = 0.0,
) -> pd.DataFrame:
    """One row per comparison: the two means, the difference with its 95 % interval, the test, p, and
    whether the claim holds at 95 %. ``deepest``: the depth where the report's networks and the cures
    are compared; ``cnn`` and ``report_cnn``: the CNN's seeds and the report's CNN accuracy, for the
    CNN's row (none without them); ``settings`` labels each exercise in words (its init or cure; its
    name without); ``resolution``: the accuracy's step, 1 / test images."""
    rows = []
    for plan in planned(metrics, settings or {}, deepest):
        a, b = _accuracies(metrics, *plan["a"]), _accuracies(metrics, *plan["b"])
        if min(len(a), len(b)) < 2:
            continue
        result = stats.welch(a, b, resolution=resolution, bounds=DIFFERENCE_BOUNDS)
        rows.append(
            _row(plan["comparison"], plan["kind"], a, b, result, TESTS["welch"])
            | dict(zip(("exercise_a", "activation_a", "depth_a"), plan["a"], strict=True))
            | dict(zip(("exercise_b", "activation_b", "depth_b"), plan["b"], strict=True))
            | dict(diverged_a=_diverged(metrics, *plan["a"]), diverged_b=_diverged(metrics, *plan["b"]))
        )
    if cnn is not None and report_cnn is not None and cnn.test_accuracy.notna().sum() >= 2:
        a = cnn.test_accuracy.dropna()
        result = stats.one_sample(a, report_cnn, resolution=resolution, bounds=DIFFERENCE_BOUNDS)
        rows.append(
            _row(
                f"The CNN beats the report's {report_cnn}",
                "beats",
                a,
                pd.Series([report_cnn]),
                result,
                TESTS["one_sample"],
            )
            | dict(exercise_a="ex3", exercise_b="report", diverged_a=0, diverged_b=0)  # fmt: skip
        )
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("p_holm", "holds")] + ["direction"])
    # the networks' comparisons are one family; the CNN against the report's number is a question of its own
    family = (table.exercise_a != "ex3").to_numpy()
    table["p_holm"] = table.p.astype(float)
    table.loc[family, "p_holm"] = stats.holm(table.p[family])
    table["holds"] = table.pop("direction").astype(bool) & (table.p_holm < ALPHA)
    return table[COLUMNS]


COLUMNS = ["comparison", "claim", "exercise_a", "activation_a", "depth_a", "exercise_b", "activation_b", "depth_b",
           "seeds_a", "seeds_b", "mean_a", "mean_b", "diff", "lower", "upper", "test", "df", "p", "p_holm",
           "holds", "diverged_a", "diverged_b"]  # fmt: skip


def _row(name: str, kind: str, a: pd.Series, b: pd.Series, result: dict, test: str) -> dict:
    p, direction = _claim(kind, result)
    exact = result["se"] == 0
    return dict(
        comparison=name,
        claim=kind,
        seeds_a=len(a),
        seeds_b=len(b),
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        diff=result["diff"],
        lower=result["lower"],
        upper=result["upper"],
        test="exact: no spread over seeds" if exact else test,
        df=result["df"],
        p=p,
        direction=direction,
    )


STABILITY_COLUMNS = ["seeds_b_set", "diff_b", "lower_b", "upper_b", "p_holm_b", "holds_b", "diff_both", "p_holm_both",
                     "holds_both", "verdict"]  # fmt: skip


def with_stability(table: pd.DataFrame, table_b: pd.DataFrame | None, table_both: pd.DataFrame | None) -> pd.DataFrame:
    """``table`` (the first seed set's) with each comparison's result on the second set (``table_b``)
    and on both together, matched by the comparison's name, and its ``verdict``: "holds" or "does not
    hold" where the two sets agree (or where there is no second set), "undecided" where they differ.
    A row that the second set lacks (the CNN's, whose seeds are its own) keeps the first set's verdict."""
    out = table.copy()
    out["verdict"] = out.holds.map({True: "holds", False: "does not hold"})
    if table_b is None or table_b.empty:
        return out.assign(**{c: math.nan for c in STABILITY_COLUMNS if c != "verdict"})
    b = table_b.set_index("comparison")
    both = table_both.set_index("comparison")
    out["seeds_b_set"] = out.comparison.map(b.seeds_a + b.seeds_b) / 2
    for column in ("diff", "lower", "upper", "p_holm", "holds"):
        out[f"{column}_b"] = out.comparison.map(b[column])
    for column in ("diff", "p_holm", "holds"):
        out[f"{column}_both"] = out.comparison.map(both[column])
    differs = out.holds_b.notna() & (out.holds_b != out.holds)
    out.loc[differs, "verdict"] = "undecided"
    return out


def stable_comparisons(
    metrics: pd.DataFrame,
    deepest: int,
    seeds: list[int],
    seeds_b: list[int] | None = None,
    *,
    cnn: pd.DataFrame | None = None,
    report_cnn: float | None = None,
    settings: dict | None = None,
    resolution: float = 0.0,
) -> pd.DataFrame:
    """``comparisons_table`` on the MLPs' ``seeds``, and where ``seeds_b`` is given, on that second set
    and on both sets together (each a Holm family of its own), joined by ``with_stability``."""
    if seeds_b and set(seeds) & set(seeds_b):
        raise ValueError(f"seeds_b {seeds_b} shares seeds with seeds {seeds}: the two sets must be disjoint")

    def on(chosen, with_cnn):
        sel = metrics[metrics.seed.isin(chosen)]
        return comparisons_table(
            sel, deepest, cnn=cnn if with_cnn else None, report_cnn=report_cnn, settings=settings, resolution=resolution
        )

    table = on(seeds, True)
    if not seeds_b:
        return with_stability(table, None, None)
    return with_stability(table, on(seeds_b, False), on([*seeds, *seeds_b], False))


def find(table: pd.DataFrame, a: tuple, b: tuple):
    """The row comparing network ``a`` with ``b``, each (exercise, activation, depth); or None."""
    if table is None or table.empty:
        return None
    keys = ["exercise_a", "activation_a", "depth_a", "exercise_b", "activation_b", "depth_b"]
    match = table[(table[keys] == pd.Series(dict(zip(keys, (*a, *b), strict=True)))).all(axis=1)]
    return None if match.empty else match.iloc[0]


def describe(row) -> str:
    """One comparison in words: difference, interval, p and the verdict."""
    if row is None:
        return "not in this run's grid"
    verdict = "holds" if row.holds else "does not hold"
    return (
        f"{row.mean_a:.3f} vs {row.mean_b:.3f}, difference {row['diff']:+.3f} (95 % CI {row.lower:+.3f} to "
        f"{row.upper:+.3f}, {row.test}, p = {markdown.p_value(row.p)}, "
        f"Holm-adjusted {markdown.p_value(row.p_holm)}): {verdict}"
    )


def comparisons_markdown(table: pd.DataFrame, dataset: str = "MNIST") -> str:
    """comparisons.md from a ``comparisons_table`` (one seed set) or ``stable_comparisons`` table."""
    if "verdict" not in table:
        table = with_stability(table, None, None)
    stability = table.holds_b.notna().any()
    lines = [
        f"# The study's comparisons on {dataset}, with 95 % confidence intervals",
        "",
        "Produced by `depthstudy.comparisons`; nothing here is written by hand. Test accuracy of every seed; in "
        f"brackets, how many, and how many of them diverged: a diverged seed counts as a failed net, with accuracy "
        f"{FAILED_ACCURACY} (chance), never as a missing one. *beats*: A's mean is higher, tested two-sided against "
        f"no difference. *as good as*: A is at most {MARGIN} worse than B (a non-inferiority test: p one-sided, "
        f"against a difference of −{MARGIN} or worse, shown doubled). Intervals from "
        "Welch's t-test (each group's sd counted as at least one test image's share of the accuracy, the "
        "metric's resolution; intervals kept within ±1): a bootstrap over 3 seeds has 10 distinct resamples "
        "and too narrow an interval. The "
        "report's single CNN run has no spread, so the CNN gets a one-sample t-test. The networks' rows are one "
        f"family of {int((table.exercise_a != 'ex3').sum())} claims: *holds* reads Holm's adjusted p, below "
        f"{ALPHA} (a non-inferiority p enters the family doubled, on the two-sided scale), so that the chance "
        "of any false claim in the table stays "
        f"below {ALPHA:.0%}. The CNN against the report's number is a question of its own, not adjusted. The "
        "intervals are each comparison's own, unadjusted.",
        "",
        "*Verdict*: with a second, disjoint seed set (config `seeds_b`), each comparison is tested on it too "
        "(a family of its own) and on both sets together; a comparison whose verdict differs between the two "
        "sets is **undecided**. "
        + ("" if stability else "This run has no second seed set: each verdict is the first set's alone."),
        "",
        "",
    ]
    header = ["comparison", "A", "B", "difference A − B", "95 % CI", "test", "p", "p (Holm)", "holds"]
    if stability:
        header += ["second set: A − B [95 % CI]", "p (Holm)", "holds", "both sets: p (Holm)", "holds"]
    header.append("verdict")
    rows = []
    for _, r in table.iterrows():
        row = [r.comparison, _group(r.mean_a, r.seeds_a, r.diverged_a), _group(r.mean_b, r.seeds_b, r.diverged_b),
               f"{r['diff']:+.4f}", f"[{r.lower:+.4f}, {r.upper:+.4f}]", r.test, markdown.p_value(r.p),
               markdown.p_value(r.p_holm), _yes(r.holds)]  # fmt: skip
        if stability:
            row += [f"{r.diff_b:+.4f} [{r.lower_b:+.4f}, {r.upper_b:+.4f}]" if r.diff_b == r.diff_b else "",
                    _p(r.p_holm_b), _yes(r.holds_b), _p(r.p_holm_both),
                    _yes(r.holds_both)]  # fmt: skip
        row.append(f"**{r.verdict}**" if r.verdict != "holds" else r.verdict)
        rows.append(row)
    rows = rows or [["(none: every compared network needs two seeds)", *[""] * (len(header) - 1)]]
    return "\n".join(lines) + markdown.table(header, rows)


def _group(mean: float, seeds: int, diverged) -> str:
    """A group's mean, its seeds and how many of them diverged."""
    failed = f", {int(diverged)} diverged" if diverged == diverged and diverged else ""
    return f"{mean:.4f} ({seeds}{failed})"


def _p(p: float) -> str:
    return "" if p != p else markdown.p_value(p)


def _yes(holds) -> str:
    if holds is None or holds != holds:
        return ""
    return "yes" if holds else "**no**"
