# workloads: see workloads/README.md
