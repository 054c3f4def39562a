# experiments: see experiments/README.md
