"""The verdicts, pure: what the kubelet would do with what the cluster holds, worded once in
the catalogue, each with its fix."""
