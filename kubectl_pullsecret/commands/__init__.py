"""The commands' orchestration: gather from the cluster, judge, ask the registry when asked,
and hand plain results to the renderer. No flag parsing, no printing."""
