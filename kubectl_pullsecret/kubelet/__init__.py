"""The node's side, pure: what the kubelet and the container runtime do with a Pod's images.

Each module is a port of, or a record of, the Kubernetes and runtime behaviour it names, with
its sources in its docstring. Nothing here does I/O: plain data in, plain dataclasses out.
"""
