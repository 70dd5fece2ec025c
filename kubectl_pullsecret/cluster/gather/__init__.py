"""What each command reads from one cluster, with as few requests as the trouble allows.

`core` is the shared part: a `ClusterReader` is one cluster's run (its client, scope and
warnings, and its parts: the pull secrets, `secrets`, and the kubelets, `kubelets`), owned by
the thread that runs the cluster; it assembles the judge's input. `batch` runs independent
reads at once. Each command's walk has its own module:
`diagnose`, `audit`, `show` and `check`. The answers are the model's plain facts
(cluster.objects); every Secret is remembered by the client as it arrives, for the output
filter (secrecy.py).
"""
