"""`registry-testbed`: the development test bed of sagemaker-registry-operator (never in its image):
the embedded AWS, the local control plane, the demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_local_aws(args: argparse.Namespace) -> int:
    import json

    from registry_testbed.localaws.errors import SettingsError
    from registry_testbed.localaws.server import serve

    settings = None
    if args.settings:
        text = args.settings if args.settings.lstrip().startswith("{") else Path(args.settings).read_text()
        try:
            settings = json.loads(text)
        except ValueError as exc:
            print(f"registry-testbed local-aws: --settings is not JSON: {exc}", file=sys.stderr)
            return 2
        if not isinstance(settings, dict):
            print("registry-testbed local-aws: --settings must be a JSON object", file=sys.stderr)
            return 2
    try:
        serve(host=args.host, port=args.port, settings=settings)
    except SettingsError as exc:
        print(f"registry-testbed local-aws: --settings: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_cluster(args: argparse.Namespace) -> int:
    from registry_testbed.localcluster import cluster

    state_dir = Path(args.state_dir)
    if args.action == "up":
        info = cluster.up(state_dir)
        print(f"kube-apiserver ready; export KUBECONFIG={info.kubeconfig}")
    elif args.action == "down":
        from registry_testbed.argocd import stack

        stack.down(state_dir)  # its processes are clients of this cluster
        cluster.down(state_dir)
    else:
        from registry_testbed.localcluster.build import ensure_binaries

        print(ensure_binaries())
    return 0


def _cmd_argocd(args: argparse.Namespace) -> int:
    from registry_testbed.argocd import example, stack
    from registry_testbed.argocd.build import ensure_argocd

    state_dir = Path(args.state_dir)
    if args.action == "build":
        print(ensure_argocd())
    elif args.action == "down":
        stack.down(state_dir)
    else:
        example.up(state_dir)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from registry_testbed import demo

    return demo.main(["--keep"] if args.keep else [])


def _cmd_health_checks(_: argparse.Namespace) -> int:
    from registry_testbed import health_checks

    for path in health_checks.write():
        print(f"wrote {path}")
    return 0


def _cmd_rbac(_: argparse.Namespace) -> int:
    from registry_testbed import kind_rbac

    for path in kind_rbac.write():
        print(f"wrote {path}")
    return 0


def _cmd_approval_policy(_: argparse.Namespace) -> int:
    from registry_testbed import approval_policy

    for path in approval_policy.write():
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry-testbed", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    local_aws = sub.add_parser("local-aws", help="serve the embedded AWS (moto plus the model registry)")
    local_aws.add_argument("--host", default="127.0.0.1")
    local_aws.add_argument("--port", type=int, default=4566)
    local_aws.add_argument(
        "--settings",
        help="a JSON object, or a file holding one, as PUT /_localaws/settings takes it "
        "(packageCompletionSeconds, rateLimits, ...), e.g. "
        """'{"rateLimits": {"sagemaker:CreateModelPackage": {"ratePerSecond": 10, "burst": 20}}}'; """
        "kept across POST /_localaws/reset",
    )
    local_aws.set_defaults(func=_cmd_local_aws)

    cl = sub.add_parser("cluster", help="local kube-apiserver and etcd built from the Go modules")
    cl.add_argument("action", choices=["up", "down", "build"])
    cl.add_argument("--state-dir", default=".local", help="kubeconfig, certificates, data and logs")
    cl.set_defaults(func=_cmd_cluster)

    argo = sub.add_parser("argocd", help="Argo CD (built from its Go module) syncing the examples from git")
    argo.add_argument("action", choices=["up", "down", "build"])
    argo.add_argument("--state-dir", default=".local", help="the local cluster's state dir")
    argo.set_defaults(func=_cmd_argocd)

    demo = sub.add_parser("demo", help="the seed's registration done by the operator on the local stack")
    demo.add_argument("--keep", action="store_true", help="leave everything running")
    demo.set_defaults(func=_cmd_demo)

    checks = sub.add_parser(
        "health-checks",
        help="generate manifests/argocd/argocd-cm-health.yaml from the one Argo CD health script",
    )
    checks.set_defaults(func=_cmd_health_checks)

    rbac = sub.add_parser(
        "rbac",
        help="generate the operator's RBAC rules for its kinds (manifests/base/rbac-kinds.yaml and the "
        "Helm chart's files/rbac-kind-rules.yaml) from the kinds it serves",
    )
    rbac.set_defaults(func=_cmd_rbac)

    policy = sub.add_parser(
        "approval-policy",
        help="generate the ApprovalPolicy CRD and the chart's copies of manifests/components/approval-policy",
    )
    policy.set_defaults(func=_cmd_approval_policy)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
