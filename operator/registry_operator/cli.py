"""`registry-operator`: run the operator, or write its CRDs."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def _cmd_run(args: argparse.Namespace) -> int:
    import kopf

    from registry_operator.aws.session import ClientFactory, Identities, client_config, own_account
    from registry_operator.config import ConfigError, load_config
    from registry_operator.process import sharding
    from registry_operator.reconcile.context import ReconcileContext

    try:
        config = load_config(Path(args.config) if args.config else None)
    except ConfigError as exc:
        print(f"registry-operator: {exc}", file=sys.stderr)
        return 2
    if args.shard and (problem := sharding.check_shard_name(args.shard)):
        print(f"registry-operator: {problem}", file=sys.stderr)
        return 2
    import registry_operator.handlers.operator  # noqa: F401  (registers every handler with kopf)
    from registry_operator.handlers import kopf_toggles, kube, logfilter
    from registry_operator.handlers.package_views import PackageViews
    from registry_operator.handlers.state import OperatorState

    log_format = kopf.LogFormat.JSON if args.log_format == "json" else kopf.LogFormat.FULL
    kopf.configure(verbose=args.verbose, log_format=log_format, log_prefix=True)
    logfilter.install()
    kopf_toggles.install()
    from registry_operator.process import health

    try:
        health.start(args.metrics_bind_address, args.metrics_port)
    except OSError as exc:
        print(f"registry-operator: cannot serve --metrics-port {args.metrics_port}: {exc}", file=sys.stderr)
        return 2
    clients = ClientFactory(client_config(pool_size=args.max_workers * 2))
    from kubernetes.client.rest import ApiException
    from kubernetes.config import ConfigException
    from urllib3.exceptions import HTTPError, MaxRetryError

    try:
        api = kube.connect(args.max_workers)
    except ConfigException as exc:
        print(
            f"registry-operator: no Kubernetes credentials: tried {_kube_sources()}: {exc}", file=sys.stderr
        )
        return 2
    from registry_operator.process import cluster_identity

    # The first request to the API server: where an unreachable or refusing server shows. urllib3's
    # retry warnings would bury the one line that says so.
    server = api.configuration.host
    retries_log = logging.getLogger("urllib3.connectionpool")
    level = retries_log.level
    retries_log.setLevel(logging.ERROR)
    try:
        renamed_from = cluster_identity.ensure(api, args.state_namespace, config)
    except ConfigError as exc:
        print(f"registry-operator: {exc}", file=sys.stderr)
        return 2
    except HTTPError as exc:
        cause = exc.reason if isinstance(exc, MaxRetryError) else exc
        print(
            f"registry-operator: cannot reach the Kubernetes API server {server} (from "
            f"{_kube_source(server)}): {cause}",
            file=sys.stderr,
        )
        return 2
    except ApiException as exc:
        print(
            f"registry-operator: the Kubernetes API server {server} refused to read ConfigMap "
            f"{args.state_namespace}/{cluster_identity.RECORD}: {exc.status} {exc.reason}",
            file=sys.stderr,
        )
        return 2
    finally:
        retries_log.setLevel(level)
    settings = kopf.OperatorSettings()
    if args.shard_selector:
        if problem := sharding.check_selector(api, args.shard_selector, args.namespace or []):
            print(f"registry-operator: {problem}", file=sys.stderr)
            return 2
        sharding.select_by_labels(settings, args.shard_selector)
    lease = sharding.lease_name(args.leader_election_name, args.shard)
    if args.shard or args.shard_selector:
        print(
            f"registry-operator: shard {args.shard or '(unnamed)'}: objects with labels "
            f"{args.shard_selector or '(any)'} in namespaces {', '.join(args.namespace or ['(all)'])}"
            + (f"; leader lease {lease}" if args.leader_elect else ""),
            file=sys.stderr,
        )
    if renamed_from:
        print(
            f"registry-operator: cluster renamed from {renamed_from} to {config.cluster_name}",
            file=sys.stderr,
        )
    operator = OperatorState(
        context=ReconcileContext(
            config=config,
            clients=clients,
            groups=lambda namespace, name: None,  # replaced by kopf's index at start-up
            own_account=own_account(clients, config.default_region),
            approval_policies=lambda namespace: kube.approval_policies(api, namespace),
            identity=Identities(clients),
        ),
        kube=api,
        max_workers=args.max_workers,
        namespaces=list(args.namespace or ()),
        label_selector=args.shard_selector,
        package_views=PackageViews(),
        shard=args.shard,
    )
    memo = kopf.Memo(operator=operator)
    if args.leader_elect:
        from registry_operator.process import leader

        # Blocks until this replica leads; a replica that loses the lease exits at once.
        health.HEALTH.standby.set()
        leader.wait_for_leadership(
            api,
            args.leader_election_namespace or args.state_namespace,
            lease,
            leader.identity(),
        )
    kopf.run(
        clusterwide=not args.namespace,
        namespaces=args.namespace or (),
        standalone=True,
        liveness_endpoint=args.liveness,
        ready_flag=health.HEALTH.ready,  # /readyz answers 200 from here on
        memo=memo,
        settings=settings,
    )
    return 0


def _kubeconfig() -> str:
    """The kubeconfig the kubernetes client reads when it is not in a pod."""
    from kubernetes.config import KUBE_CONFIG_DEFAULT_LOCATION

    named = os.environ.get("KUBECONFIG")
    default = os.path.expanduser(KUBE_CONFIG_DEFAULT_LOCATION)
    return f"KUBECONFIG={named}" if named else f"{default} (KUBECONFIG is not set)"


def _kube_sources() -> str:
    """Where the kubernetes client looked for credentials, in its order, for the one-line refusal."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    in_cluster = f"KUBERNETES_SERVICE_HOST={host}" if host else "KUBERNETES_SERVICE_HOST is not set"
    return f"the in-cluster service account ({in_cluster}), then the kubeconfig {_kubeconfig()}"


def _kube_source(server: str) -> str:
    """Which of the two the client took the server from."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    return "the in-cluster service account" if host and host in server else _kubeconfig()


def _cmd_crds(args: argparse.Namespace) -> int:
    from registry_operator.api.crd import rendered_files
    from registry_operator.reconcile.catalogue import KINDS

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in rendered_files(KINDS, args.kustomization).items():
        (out / name).write_text(content)
        print(f"wrote {out / name}")
    return 0


class _HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Every flag's help ends with its default. A flag whose default is computed or means "off" says so
    in its own words, which the formatter leaves alone."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "(default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry-operator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run the operator against KUBECONFIG or the in-cluster service account",
        description="Run the operator against the in-cluster service account, else KUBECONFIG (default "
        "~/.kube/config), with the standard AWS environment.",
        formatter_class=_HelpWithDefaults,
    )
    run.add_argument(
        "--config",
        metavar="FILE",
        help="operator config YAML (default: none: built-in defaults, nothing cross-account)",
    )
    run.add_argument(
        "--namespace",
        action="append",
        metavar="NS",
        help="watch only this namespace (repeatable); a pattern such as 'team-a-*' or '!team-a-*' (every "
        "other namespace) takes namespaces created later too (default: every namespace)",
    )
    run.add_argument(
        "--max-workers", type=int, default=32, metavar="N", help="concurrent reconciles, hence AWS calls"
    )
    run.add_argument(
        "--liveness",
        default=None,
        metavar="URL",
        help="kopf's own liveness endpoint, e.g. http://0.0.0.0:8081/healthz (default: off)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve /metrics, /healthz and /readyz on this port; 0 = off (default: 8080, skipped with a "
        "warning when busy; a port given here must be free)",
    )
    run.add_argument(
        "--metrics-bind-address", default="0.0.0.0", metavar="ADDR", help="address for --metrics-port"
    )
    run.add_argument(
        "--leader-elect",
        action="store_true",
        help="with several replicas, only the holder of a Lease acts; the others wait to take over "
        "(default: off: this process acts at once)",
    )
    run.add_argument(
        "--state-namespace",
        default=os.environ.get("POD_NAMESPACE", "default"),
        metavar="NS",
        help="the operator's own namespace: where it records the cluster's name (ConfigMap "
        "sagemaker-registry-operator-cluster) and, by default, its leader Lease (default: $POD_NAMESPACE, "
        "else default)",
    )
    run.add_argument(
        "--leader-election-namespace",
        default=None,
        metavar="NS",
        help="the namespace of the leader Lease (default: --state-namespace)",
    )
    run.add_argument(
        "--leader-election-name",
        default="sagemaker-registry-operator",
        metavar="NAME",
        help="the leader Lease's name; with --shard, <NAME>-<shard>",
    )
    run.add_argument(
        "--shard",
        metavar="NAME",
        help="this operator's shard, when several operators share the cluster (each owning namespaces "
        "given with --namespace, or the objects --shard-selector selects): its leader Lease is "
        "<leader-election-name>-<shard> (default: none, one operator for everything)",
    )
    run.add_argument(
        "--shard-selector",
        metavar="SELECTOR",
        help="act only on objects carrying these labels, e.g. modelregistry.io/shard=a (a Kubernetes "
        "label selector, applied by the API server to every watch of the operator's kinds) "
        "(default: none, every object)",
    )
    run.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="text for a terminal; json: one object per line with the object's reference, severity, "
        "timestamp and message",
    )
    run.add_argument("--verbose", action="store_true", help="debug logging, kopf's included (default: off)")
    run.set_defaults(func=_cmd_run)

    crds = sub.add_parser(
        "crds", help="write the CRDs generated from the API models", formatter_class=_HelpWithDefaults
    )
    crds.add_argument(
        "--output", default="crds", metavar="DIR", help="directory to write one YAML file per CRD into"
    )
    crds.add_argument(
        "--kustomization",
        action="store_true",
        help="also write the folder's Kustomization (for kustomize bases; not for a Helm chart's crds/) "
        "(default: off: the CRD files only)",
    )
    crds.set_defaults(func=_cmd_crds)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
