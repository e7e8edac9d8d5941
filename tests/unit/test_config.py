"""The operator config: defaults, permissions, and start-up errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_operator.config import ConfigError, load_config


def test_defaults_allow_nothing_cross_account() -> None:
    config = load_config(None)
    assert config.default_region == "us-east-2" and config.resync_interval_seconds == 60
    assert not config.may_assume("ml", "arn:aws:iam::222222222222:role/registrar")


def test_allowlist(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "namespaces:\n  ml:\n    roleArns: ['arn:aws:iam::222222222222:role/registrar']\n"
        "    grantAccounts: ['111111111111']\n    s3Buckets: ['artifacts-*']\n"
        "  'team-*':\n    roleArns: ['arn:aws:iam::222222222222:role/team']\n"
    )
    config = load_config(path)
    assert config.may_grant("ml", "111111111111") and config.scope("ml").s3_buckets == ["artifacts-*"]
    assert config.may_assume("team-a", "arn:aws:iam::222222222222:role/team")  # a pattern key
    assert not config.may_assume("ml", "arn:aws:iam::222222222222:role/team")  # its own key wins
    assert config.may_assume("ml", "arn:aws:iam::222222222222:role/registrar")
    assert not config.may_assume("other", "arn:aws:iam::222222222222:role/registrar")
    assert not config.may_assume("ml", "arn:aws:iam::222222222222:role/admin")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("defaultRegion: Mars\n", "defaultRegion"),
        ("resyncIntervalSeconds: 0\n", "resyncIntervalSeconds"),
        ("namespaces:\n  ml:\n    grantAccounts: ['12']\n", "namespaces.ml.grantAccounts.0"),
        ("namespaces:\n  ml:\n    roleArns: ['not-an-arn']\n", "namespaces.ml.roleArns.0"),
        ("surprise: 1\n", "surprise"),
        ("clusterName: Prod_EU\n", "clusterName"),
        # grants with no scope used to mean "any bucket, repository, key, group": say what to add
        (
            "namespaces:\n  ml:\n    grantAccounts: ['111111111111']\n",
            "namespaces.ml has grantAccounts but no s3Buckets",
        ),
    ],
)
def test_invalid_config_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert field in str(err.value) and str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")
