"""Speed and memory targets (`make bench`). Each figure is printed with its target and its
ratio to a baseline measured in the same run, and written under benchmarks/results/."""
