"""The error cascade's rules, shared by the jobs that run them: the FG-OOV test (which errors reach
its step) and classify (every verdict); they depend on the taxonomy's tables and nothing else."""
