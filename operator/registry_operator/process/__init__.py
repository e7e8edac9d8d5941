"""The operator as a process: leadership, probes and metrics, shards, the cluster's identity, and the
queue that drives every reconcile. Nothing here decides anything about AWS."""
