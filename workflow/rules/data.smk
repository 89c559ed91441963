rule prepare_data:
    output:
        npz="results/data/mnist.npz",
    log:
        "results/logs/prepare_data.log",
    conda:
        "../../envs/training.yaml"
    params:
        data_dir=config["data_dir"],
        verify_checksums=config["verify_checksums"],
        limit_train=config["limit_train"],
        limit_test=config["limit_test"],
    script:
        "../scripts/prepare_data.py"
