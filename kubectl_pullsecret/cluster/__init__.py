"""The cluster: kubeconfig resolution, the API client, Kubernetes objects (from the API or from
manifest files) turned into the model's facts, and what each command gathers."""
