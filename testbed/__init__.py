"""Fake machines and a private terminal shared by the tests, the benchmarks and the screenshot script:
generated procfs/sysfs trees (``fixture_tree``), the deterministic demo machine (``demo``) and a private
tmux server (``tmux``). Not installed with perftop; run from the repository root."""
