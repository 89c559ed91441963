# Named targets: one exercise's tables and figures each (`snakemake --cores 4 ex1c`).


rule ex1b:
    input:
        table_md(GRID),
        rules.plot_ex1b_accuracy_by_depth.output,
        rules.plot_ex1b_learning_curves.output,
    localrule: True


rule ex1c:
    input:
        depth_figures("ex1c_max_gradient", GRID),
        depth_figures("ex1c_gradient_flow", GRID),
        depth_figures("ex1c_theory", GRID),
    localrule: True


rule ex1d:
    input:
        table_md(UNTRAINED),
        table_md(LECUN),
        rules.plot_ex1d_lecun_activation.output,
        depth_figures("ex1d_gradients", UNTRAINED),
    localrule: True


rule theory:
    input:
        rules.theory_vs_measured.output,
        rules.plot_theory_signal_propagation.output,
        rules.jacobian_spectra.output,
        rules.plot_jacobian_spectra.output if ORTHOGONAL else [],
        depth_figures("ex1c_theory", GRID),
        depth_figures("ex1d_gradients", UNTRAINED),
    localrule: True


if PHASE:

    rule phase:
        input:
            rules.phase_table.output,
            rules.plot_phase_diagram.output,
        localrule: True


if ISOMETRY:

    rule isometry:
        input:
            rules.isometry_table.output,
        localrule: True


rule ex3:
    input:
        rules.cnn_table.output,
        rules.plot_ex3_training_curves.output,
    localrule: True


# A bare name that is no rule: Snakemake would say only "No rule to produce <name>". This rule takes
# every such name that is no file (rules write under results/) and refuses it, naming the nearest
# target.
rule unknown_target:
    input:
        no_target,
    output:
        "{name}",
    wildcard_constraints:
        name=r"[A-Za-z0-9_]+",
    localrule: True
