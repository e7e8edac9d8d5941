"""Argo CD for the test bed: built from its Go module, run against the local control plane."""
