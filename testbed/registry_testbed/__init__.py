"""The test bed of sagemaker-registry-operator: the embedded AWS, the local control plane, the demo and
the documentation generators. Installed for development (`make setup`), never in the operator image."""
