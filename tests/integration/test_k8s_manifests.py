"""The Kubernetes manifests (deploy/k8s) render and pass tools/k8s_check.py, offline."""
from __future__ import annotations

import importlib.util
import pathlib
import sys
import textwrap

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def k8s_check():
    spec = importlib.util.spec_from_file_location("k8s_check", REPO / "tools" / "k8s_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def deployment(name: str = "web", probes: bool = True, env: list | None = None) -> dict:
    """A Deployment that passes every check (unless probes=False)."""
    container = {
        "name": "server",
        "image": f"example/{name}:1.0",
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": env or [],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    if probes:
        container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}}
        container["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }


def write_kustomization(directory: pathlib.Path, docs: list[dict], extra: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (directory / "kustomization.yaml").write_text("resources:\n  - manifests.yaml\n" + extra)


def run(k8s_check, capsys, root: pathlib.Path, repo: pathlib.Path | None = None) -> tuple[int, str]:
    code = k8s_check.main(["--root", str(root), "--repo", str(repo or root)])
    return code, capsys.readouterr().out


def test_repository_manifests_pass(k8s_check, capsys):
    code = k8s_check.main([])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("k8s-check: OK:")


def test_good_manifest_passes(k8s_check, capsys, tmp_path):
    write_kustomization(tmp_path / "app", [deployment()])
    code, out = run(k8s_check, capsys, tmp_path)
    assert code == 0, out


def test_deployment_without_probes_is_reported(k8s_check, capsys, tmp_path):
    write_kustomization(tmp_path / "app", [deployment(probes=False)])
    code, out = run(k8s_check, capsys, tmp_path)
    assert code == 1
    assert "Deployment/web: container server has no readinessProbe" in out
    assert "Deployment/web: container server has no livenessProbe" in out
    assert out.strip().splitlines()[-1].startswith("k8s-check: FAILED: 2 problem(s)")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda docs: docs[0]["spec"]["template"]["spec"]["containers"][0].pop("resources"),
     "has no resources.requests.cpu"),
    (lambda docs: docs[0]["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
     "does not set securityContext.runAsNonRoot: true"),
    (lambda docs: docs[0]["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "missing", "key": "uri"}}}),
     "refers to Secret 'missing', which is not in the render"),
    (lambda docs: docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                               "spec": {"selector": {"app": "other"}, "ports": [{"name": "http", "port": 80,
                                                                                  "targetPort": "http"}]}}),
     "Service/web: selector {'app': 'other'} matches no Deployment's pod labels"),
    (lambda docs: docs[0]["spec"]["template"]["metadata"].update(annotations={"prometheus.io/scrape": True}),
     "annotation prometheus.io/scrape must be a string"),
])
def test_broken_manifests_are_reported(k8s_check, capsys, tmp_path, change, expected):
    docs = [deployment()]
    change(docs)
    write_kustomization(tmp_path / "app", docs)
    code, out = run(k8s_check, capsys, tmp_path)
    assert code == 1
    assert expected in out


def test_unsupported_kustomize_field_is_reported(k8s_check, capsys, tmp_path):
    write_kustomization(tmp_path / "app", [deployment()], extra="helmCharts: []\n")
    code, out = run(k8s_check, capsys, tmp_path)
    assert code == 1
    assert "helmCharts are not implemented" in out


def test_overlay_render(k8s_check, tmp_path):
    """Generators, merges, hash suffixes, strategic-merge patches, images, replicas, namespace."""
    base = tmp_path / "base"
    write_kustomization(base, [deployment()], extra=textwrap.dedent("""\
        configMapGenerator:
          - name: web-config
            literals: [LEVEL=INFO, ZONE=Asia/Barnaul]
        """))
    web = yaml.safe_load((base / "manifests.yaml").read_text())
    web["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "web-config"}}]
    (base / "manifests.yaml").write_text(yaml.safe_dump(web))
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "patch.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - name: server
                  env: [{name: EXTRA, value: "1"}]
        """))
    (overlay / "kustomization.yaml").write_text(textwrap.dedent("""\
        namespace: demo
        resources: [../base]
        configMapGenerator:
          - name: web-config
            behavior: merge
            literals: [LEVEL=DEBUG]
        patches:
          - path: patch.yaml
        replicas:
          - {name: web, count: 3}
        images:
          - {name: example/web, newName: registry.example.org/web, newTag: "2.0"}
        """))
    ctx = k8s_check.Context(root=tmp_path, repo=tmp_path)
    rendered = {r.kind: r.obj for r in k8s_check.render_tree(overlay, ctx)}
    config, web = rendered["ConfigMap"], rendered["Deployment"]
    assert config["data"] == {"LEVEL": "DEBUG", "ZONE": "Asia/Barnaul"}
    assert config["metadata"]["name"].startswith("web-config-")
    assert config["metadata"]["namespace"] == web["metadata"]["namespace"] == "demo"
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
    assert container["image"] == "registry.example.org/web:2.0"
    assert container["env"] == [{"name": "EXTRA", "value": "1"}]
    assert container["resources"]["limits"]["memory"] == "64Mi"   # untouched by the patch
    assert web["spec"]["replicas"] == 3


def test_missing_dead_letter_topic_is_reported(k8s_check, capsys, tmp_path):
    repo = tmp_path / "repo"
    service = repo / "services" / "bills" / "bills"
    service.mkdir(parents=True)
    (service.parent / "pyproject.toml").write_text("")
    (service / "service.py").write_text(textwrap.dedent("""\
        class BillsService:
            @consume("meters.reading-submitted.v1", group="bills.readings")
            def on_reading(self, event): ...
        """))
    env = [{"name": "GOROD_TOPICS", "value": "meters.reading-submitted.v1"}]
    write_kustomization(tmp_path / "k8s" / "app", [deployment(env=env)])
    code, out = run(k8s_check, capsys, tmp_path / "k8s", repo)
    assert code == 1
    assert "Kafka topic bills.readings.dlq (dead-letter topic of consumer group bills.readings) is not declared" in out
