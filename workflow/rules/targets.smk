# Named targets: one exercise's tables and figures each (`snakemake --cores 4 ex1c`).


rule ex1b:
    input:
        "results/tables/ex1b_test_metrics.md",
        rules.plot_accuracy_by_depth.output,
        rules.plot_learning_curves.output,
    localrule: True


rule ex1c:
    input:
        depth_figures("ex1c_max_gradient", "ex1"),
        depth_figures("ex1c_gradient_flow", "ex1"),
    localrule: True


rule ex1d:
    input:
        "results/tables/ex1d_untrained_metrics.md",
        "results/tables/ex1d_trained_metrics.md" if "ex1d_trained" in EXERCISES else [],
        rules.plot_lecun_activation.output,
        depth_figures("ex1d_gradients", "ex1d"),
    localrule: True


rule ex3:
    input:
        rules.cnn_table.output,
        rules.plot_cnn_curves.output,
    localrule: True
