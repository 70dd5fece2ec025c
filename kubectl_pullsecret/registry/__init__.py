"""The registry, live (--verify): the safety rules, the distribution auth flow, and the check of
whether a credential can pull, in the kubelet's order."""
