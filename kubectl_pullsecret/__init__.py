"""kubectl-pullsecret: explain why a Pod cannot pull its images, the way the kubelet sees it."""

__version__ = "0.1.0"
