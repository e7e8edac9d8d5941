"""`make argocd-up`: Argo CD on the local control plane, syncing the iris example from a local git repo.

The repository (`<state-dir>/gitops-repo`, served by path) holds `manifests/examples/iris` at the same
path as this project, so the shipped `manifests/argocd/application.yaml` Application `iris-models`
is applied with only its repoURL changed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from registry_testbed.argocd import stack
from registry_testbed.argocd.gitrepo import GitRepo
from registry_testbed.localcluster import cluster

ROOT = Path(__file__).resolve().parents[3]
APPLICATIONS = ROOT / "manifests" / "argocd" / "application.yaml"
EXAMPLE_PATH = "manifests/examples/iris"


def shipped_application(
    name: str, repo_url: str, path: str | None = None, namespace: str | None = None
) -> dict[str, Any]:
    """An Application of the shipped file, pointed at ``repo_url`` (and optionally another path and
    destination namespace); everything else as users get it."""
    app = next(d for d in yaml.safe_load_all(APPLICATIONS.read_text()) if d and d["metadata"]["name"] == name)
    app["spec"]["source"]["repoURL"] = repo_url
    if path is not None:
        app["spec"]["source"]["path"] = path
    if namespace is not None:
        app["spec"]["destination"]["namespace"] = namespace
    return app


def up(state_dir: Path) -> None:
    info = cluster.up(state_dir)
    kubectl = [str(info.kubectl), "--kubeconfig", str(info.kubeconfig)]
    # The operator's CRDs: in a cluster the operator's own Application installs them.
    subprocess.run(
        [*kubectl, "apply", "--server-side", "-f", str(ROOT / "crds")], check=True, capture_output=True
    )
    stack.up(info, state_dir)
    repo = GitRepo(Path(state_dir).absolute() / "gitops-repo")
    if not (repo.path / ".git").exists():
        repo.init({EXAMPLE_PATH: ROOT / EXAMPLE_PATH})
    app = shipped_application("iris-models", repo.url)
    subprocess.run(
        [*kubectl, "apply", "-f", "-"], input=json.dumps(app), text=True, check=True, capture_output=True
    )
    print(
        f"Argo CD syncs {EXAMPLE_PATH} of {repo.url} (Application iris-models in namespace argocd).\n"
        f"  export KUBECONFIG={info.kubeconfig}\n"
        "  kubectl get applications -n argocd -w\n"
        "Commit to that repository to change what is synced. The resources stay Progressing until an\n"
        "operator registers them: run one as in docs/admins/install.md (`registry-operator run --config\n"
        "manifests/examples/operator-config.yaml` with an AWS). `make argocd-down` stops Argo CD."
    )
