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


def test_event_queues(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "eventQueues:\n"
        "  - queueUrl: https://sqs.eu-west-1.amazonaws.com/111111111111/registry-events\n"
        "    roleArn: arn:aws:iam::111111111111:role/registry-events-reader\n"
        "  - queueUrl: http://127.0.0.1:4566/123456789012/local-events\n"
        "    pollers: 1\n"
    )
    regional, local = load_config(path).event_queues
    # the region comes from the URL, else from defaultRegion
    assert (regional.region, regional.account, regional.name) == (
        "eu-west-1",
        "111111111111",
        "111111111111/registry-events",
    )
    assert regional.role_arn == "arn:aws:iam::111111111111:role/registry-events-reader"
    assert regional.pollers == 2
    assert (local.region, local.pollers, local.role_arn) == ("us-east-2", 1, None)
    assert load_config(None).event_queues == []  # no queue: the resync alone, as before


@pytest.mark.parametrize(
    ("queue", "field"),
    [
        ("queueUrl: https://sqs.us-east-2.amazonaws.com/registry-events", "eventQueues.0.queueUrl"),
        ("queueUrl: https://sqs.us-east-2.amazonaws.com/1111/q", "eventQueues.0.queueUrl"),
        ("queueUrl: https://sqs.us-east-2.amazonaws.com/111111111111/a:b", "eventQueues.0.queueUrl"),
        (
            "queueUrl: https://sqs.us-east-2.amazonaws.com/111111111111/q\n    region: eu-west-1",
            "differs from the queue URL's region us-east-2",
        ),
        ("queueUrl: http://h/111111111111/q\n    roleArn: arn:aws:iam::1:role/x", "eventQueues.0.roleArn"),
        ("queueUrl: http://h/111111111111/q\n    pollers: 0", "eventQueues.0.pollers"),
        ("queueUrl: http://h/111111111111/q\n    url: typo", "eventQueues.0.url"),
        ("queueUrl: http://h/111111111111/q\n    shard: Shard_A", "eventQueues.0.shard"),
        ("queueUrl: http://h/111111111111/q\n  - queueUrl: http://h/111111111111/q", "listed twice"),
    ],
)
def test_invalid_event_queue_names_the_field(tmp_path: Path, queue: str, field: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"eventQueues:\n  - {queue}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert field in str(err.value)


def test_each_shard_reads_its_own_queues(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "eventQueues:\n"
        "  - {queueUrl: 'http://h/111111111111/events-a', shard: a}\n"
        "  - {queueUrl: 'http://h/111111111111/events-b', shard: b}\n"
        "  - {queueUrl: 'http://h/111111111111/events'}\n"
    )
    config = load_config(path)
    assert [q.name for q in config.event_queues_for("a")] == ["111111111111/events-a"]
    assert [q.name for q in config.event_queues_for(None)] == ["111111111111/events"]
    assert config.event_queues_for("c") == []
