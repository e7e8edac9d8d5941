"""What the registry holds, read the way a person checking it would: every page of a listing."""

from __future__ import annotations

from typing import Any


def package_arns(sagemaker: Any, group: str) -> list[str]:
    """The ARNs of every version in a model package group, over all pages of ListModelPackages."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group)
    return [p["ModelPackageArn"] for page in pages for p in page["ModelPackageSummaryList"]]
