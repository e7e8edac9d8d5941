"""Kubernetes operator that makes the Amazon SageMaker Model Registry GitOps-managed."""

__version__ = "0.1.0"
