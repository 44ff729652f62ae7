"""Check the Kubernetes manifests under deploy/k8s offline: no cluster, no network (make k8s-check).

    .venv/bin/python tools/k8s_check.py                         # check every kustomization
    .venv/bin/python tools/k8s_check.py --render deploy/k8s/overlays/production   # print a render

Every kustomization is rendered with the subset of Kustomize that deploy/k8s uses (resources,
namespace, labels/commonLabels, commonAnnotations, images, replicas, configMapGenerator with
hash suffixes, strategic-merge patches by kind+name or by target); any other Kustomize field
is reported instead of silently ignored. Then:

- every document parses and has apiVersion, kind and a valid metadata.name; label, annotation,
  env and ConfigMap values are strings; every YAML file under the root is used by a kustomization;
- every container has resource requests and limits and a non-root, read-only, no-escalation
  securityContext; every Deployment container has readiness and liveness probes whose ports
  exist; a service runs its migration as an init container; listen host and port variables
  agree with the named container ports; Indexed Jobs agree with GOROD_RUN_PARTITIONS;
- Services, PodDisruptionBudgets, NetworkPolicies select pods that exist; Service target ports
  name container ports; one port name means one number across the suite; HPAs target a
  Deployment that leaves replicas to them.
In deployable renders (kustomizations no other one includes, i.e. the overlays) also:
- every Secret/ConfigMap reference resolves: to a resource of the render, to a secret an
  operator creates (CloudNativePG <cluster>-app, Strimzi), or to one named in the workload's
  annotation gorod.io/external-secrets; images carry a tag other than latest;
- the gateway's upstream addresses are Services of the render; every topic published and every
  consumer group's dead-letter topic found in services/ is declared; Strimzi topics and brokers
  keep replication 3 / min.insync.replicas 2; KAFKA_BOOTSTRAP_SERVERS names the Strimzi
  bootstrap; each CloudNativePG cluster's max_connections covers the pods that use it.

Prints the problems and one summary line; exits 1 on any problem.
"""
from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import hashlib
import json
import math
import pathlib
import re
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / "deploy" / "k8s"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {
    "apiVersion", "kind", "metadata", "resources", "namespace", "labels", "commonLabels",
    "commonAnnotations", "images", "replicas", "patches", "patchesStrategicMerge",
    "configMapGenerator", "generatorOptions",
}
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
    "StorageClass", "PersistentVolume", "IngressClass", "RuntimeClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "ClusterIssuer", "VolumeSnapshotClass", "CSIDriver",
}
POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
WORKLOADS = POD_OWNERS | {"Job", "CronJob", "Pod"}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet"}
EXTERNAL_SECRETS_ANNOTATION = "gorod.io/external-secrets"
# Keys of the secret CloudNativePG creates for a cluster's application user.
CNPG_APP_KEYS = {"username", "password", "dbname", "host", "port", "uri", "jdbc-uri", "pgpass",
                 "fqdn-uri", "fqdn-jdbc-uri"}
CNPG_DEFAULT_MAX_CONNECTIONS = 100
# Connections kept free in every database for the operator, superuser, monitoring, migrations.
DB_CONNECTION_HEADROOM = 10
# SQLAlchemy pool of the service kit: pool_size plus max_overflow = pool_size (gorod_runtime.db);
# the outbox relay has its own engine with pool_size 1 (2 connections) unless GOROD_RELAY_ENABLED
# is false.
CONNECTIONS_PER_POOL_SLOT = 2
DEFAULT_DB_POOL_SIZE = 10
RELAY_CONNECTIONS = 2
_FALSE = {"false", "0", "no", "off", "n", "f"}
# Command marker -> port name -> (listen host variable, port variable), as the service kit
# (gorod_runtime.settings) and the gateway (gateway/gunicorn.conf.py) read them.
PORT_SETTINGS = {
    "gorod_runtime.run": {"grpc": ("GOROD_GRPC_HOST", "GOROD_GRPC_PORT"),
                          "metrics": (None, "GOROD_METRICS_PORT")},
    "gateway.wsgi": {"http": ("GOROD_GATEWAY_HOST", "GOROD_GATEWAY_PORT")},
}

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_MULTIPLIERS = {None: 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
                "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_REMOTE = re.compile(r"^(https?://|git@|github\.com/|ssh://)")


class RenderError(Exception):
    """A kustomization cannot be rendered; the message names the file."""


@dataclasses.dataclass
class Res:
    obj: dict
    origin: str
    generated: bool = False   # made by configMapGenerator
    hashed: bool = False      # gets a content-hash name suffix at the end of the render

    @property
    def kind(self) -> str:
        return self.obj["kind"]

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.obj["metadata"].get("namespace") or ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclasses.dataclass
class Context:
    root: pathlib.Path
    repo: pathlib.Path
    used_files: set = dataclasses.field(default_factory=set)


# ---------------------------------------------------------------- loading


def rel(path: pathlib.Path) -> str:
    path = pathlib.Path(path)
    for base in (pathlib.Path.cwd(), REPO):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def kustomization_file(directory: pathlib.Path) -> pathlib.Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def _inside(directory: pathlib.Path, path: pathlib.Path, kfile: pathlib.Path) -> pathlib.Path:
    """Kustomize's load restrictor: files must be in or below the kustomization's directory."""
    resolved = path.resolve()
    try:
        resolved.relative_to(directory.resolve())
    except ValueError:
        raise RenderError(f"{rel(kfile)}: {path} is outside the kustomization directory "
                          "(Kustomize refuses files outside it; reference a directory instead)") from None
    return resolved


def _load_all(path: pathlib.Path) -> list:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
    except yaml.YAMLError as exc:
        raise RenderError(f"{rel(path)}: does not parse as YAML: {' '.join(str(exc).split())}") from None


def _load_kustomization(kfile: pathlib.Path) -> dict:
    docs = _load_all(kfile)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RenderError(f"{rel(kfile)}: must hold exactly one mapping")
    return docs[0]


def _check_document(doc, where: str) -> None:
    if not isinstance(doc, dict):
        raise RenderError(f"{where}: a document is not a mapping")
    for field in ("apiVersion", "kind"):
        if not isinstance(doc.get(field), str) or not doc[field]:
            raise RenderError(f"{where}: a document has no {field}")
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise RenderError(f"{where}: {doc['kind']} has no metadata.name")


def _load_resources(path: pathlib.Path) -> list[Res]:
    out = []
    for doc in _load_all(path):
        _check_document(doc, rel(path))
        out.append(Res(copy.deepcopy(doc), rel(path)))
    return out


# ---------------------------------------------------------------- rendering (a subset of Kustomize)


def render(directory: pathlib.Path, ctx: Context, _stack: tuple = ()) -> list[Res]:
    """Render one kustomization (without the final hash-suffix step, see finalize)."""
    directory = directory.resolve()
    if directory in _stack:
        raise RenderError(f"{rel(directory)}: kustomizations include each other in a cycle")
    kfile = kustomization_file(directory)
    if kfile is None:
        raise RenderError(f"{rel(directory)}: no kustomization.yaml")
    ctx.used_files.add(kfile.resolve())
    spec = _load_kustomization(kfile)
    unknown = sorted(set(spec) - SUPPORTED_FIELDS)
    if unknown:
        raise RenderError(f"{rel(kfile)}: Kustomize field(s) {', '.join(unknown)} are not implemented by "
                          "tools/k8s_check.py; implement them there or do without")
    if spec.get("kind", "Kustomization") != "Kustomization":
        raise RenderError(f"{rel(kfile)}: only kind Kustomization is supported (not Component)")

    resources: list[Res] = []
    for entry in _list(spec, "resources", kfile):
        if not isinstance(entry, str):
            raise RenderError(f"{rel(kfile)}: resources entries must be strings")
        if _REMOTE.match(entry):
            raise RenderError(f"{rel(kfile)}: remote resource {entry!r}: manifests must be in the repository")
        path = directory / entry
        if path.is_dir():
            loaded = render(path, ctx, _stack + (directory,))
        elif path.is_file():
            ctx.used_files.add(_inside(directory, path, kfile))
            loaded = _load_resources(path)
        else:
            raise RenderError(f"{rel(kfile)}: resource {entry!r} does not exist")
        for res in loaded:
            _add(resources, res, kfile)

    options = spec.get("generatorOptions") or {}
    for generator in _list(spec, "configMapGenerator", kfile):
        _configmap_generator(resources, generator, options, directory, kfile, ctx)
    for entry in _list(spec, "patchesStrategicMerge", kfile):
        _apply_patch(resources, {"path": entry} if (directory / str(entry)).is_file() else {"patch": entry},
                     directory, kfile, ctx)
    for entry in _list(spec, "patches", kfile):
        if not isinstance(entry, dict):
            raise RenderError(f"{rel(kfile)}: patches entries must be mappings with path or patch")
        _apply_patch(resources, entry, directory, kfile, ctx)
    if spec.get("namespace"):
        for res in resources:
            if res.kind not in CLUSTER_SCOPED:
                res.obj["metadata"]["namespace"] = spec["namespace"]
    if spec.get("commonLabels"):
        _add_labels(resources, spec["commonLabels"], selectors=True, templates=True)
    for item in _list(spec, "labels", kfile):
        _add_labels(resources, item.get("pairs") or {}, selectors=bool(item.get("includeSelectors")),
                    templates=bool(item.get("includeTemplates")) or bool(item.get("includeSelectors")))
    if spec.get("commonAnnotations"):
        for res in resources:
            for meta in [res.obj["metadata"], *_template_metas(res.obj)]:
                meta.setdefault("annotations", {}).update(spec["commonAnnotations"])
    for item in _list(spec, "replicas", kfile):
        targets = [r for r in resources if r.kind in SCALABLE and r.name == item.get("name")]
        if not targets:
            raise RenderError(f"{rel(kfile)}: replicas: no Deployment/StatefulSet named {item.get('name')!r}")
        for res in targets:
            res.obj.setdefault("spec", {})["replicas"] = int(item["count"])
    images = _list(spec, "images", kfile)
    if images:
        for res in resources:
            _set_images(res.obj, images)
    return resources


def _list(spec: dict, field: str, kfile: pathlib.Path) -> list:
    value = spec.get(field) or []
    if not isinstance(value, list):
        raise RenderError(f"{rel(kfile)}: {field} must be a list")
    return value


def _add(resources: list[Res], res: Res, kfile: pathlib.Path) -> None:
    for other in resources:
        if (other.kind, other.namespace, other.name) == (res.kind, res.namespace, res.name):
            raise RenderError(f"{rel(kfile)}: {res.ref} is defined twice ({other.origin} and {res.origin})")
    resources.append(res)


def _configmap_generator(resources, generator, options, directory, kfile, ctx) -> None:
    name = generator.get("name")
    if not name:
        raise RenderError(f"{rel(kfile)}: a configMapGenerator has no name")
    data: dict[str, str] = {}
    for env_file in list(generator.get("envs") or []) + ([generator["env"]] if generator.get("env") else []):
        path = _inside(directory, directory / env_file, kfile)
        if not path.is_file():
            raise RenderError(f"{rel(kfile)}: env file {env_file!r} does not exist")
        ctx.used_files.add(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if "=" not in line:
                raise RenderError(f"{rel(path)}:{number}: expected KEY=value")
            key, value = line.split("=", 1)
            data[key.strip()] = value
    for literal in generator.get("literals") or []:
        if "=" not in str(literal):
            raise RenderError(f"{rel(kfile)}: literal {literal!r} of {name} is not KEY=value")
        key, value = str(literal).split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        data[key.strip()] = value
    for entry in generator.get("files") or []:
        key, _, file_name = str(entry).rpartition("=")
        path = _inside(directory, directory / file_name, kfile)
        if not path.is_file():
            raise RenderError(f"{rel(kfile)}: file {file_name!r} of {name} does not exist")
        ctx.used_files.add(path)
        data[key or path.name] = path.read_text(encoding="utf-8")
    for key in data:
        if not _CONFIG_KEY.match(key):
            raise RenderError(f"{rel(kfile)}: ConfigMap {name} has an invalid key {key!r}")

    no_hash = bool((generator.get("options") or {}).get("disableNameSuffixHash",
                                                         options.get("disableNameSuffixHash", False)))
    behavior = generator.get("behavior", "create")
    namespace = generator.get("namespace") or ""
    existing = [r for r in resources if r.kind == "ConfigMap" and r.name == name
                and (not namespace or r.namespace == namespace)]
    if behavior == "create":
        if existing:
            raise RenderError(f"{rel(kfile)}: ConfigMap {name} exists already; use behavior: merge or replace")
        meta = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        for field in ("labels", "annotations"):
            merged = {**(options.get(field) or {}), **((generator.get("options") or {}).get(field) or {})}
            if merged:
                meta[field] = merged
        resources.append(Res({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data},
                             rel(kfile), generated=True, hashed=not no_hash))
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise RenderError(f"{rel(kfile)}: configMapGenerator {name} (behavior {behavior}) has no ConfigMap "
                              "to work on")
        target = existing[0]
        if behavior == "merge":
            target.obj.setdefault("data", {}).update(data)
        else:
            target.obj["data"] = data
        if "options" in generator:
            target.hashed = not no_hash
    else:
        raise RenderError(f"{rel(kfile)}: configMapGenerator {name}: unknown behavior {behavior!r}")


def _apply_patch(resources, entry, directory, kfile, ctx) -> None:
    if entry.get("options"):
        raise RenderError(f"{rel(kfile)}: patch options are not implemented by tools/k8s_check.py")
    if "path" in entry:
        path = _inside(directory, directory / entry["path"], kfile)
        if not path.is_file():
            raise RenderError(f"{rel(kfile)}: patch {entry['path']!r} does not exist")
        ctx.used_files.add(path)
        docs, where = _load_all(path), rel(path)
    elif "patch" in entry:
        try:
            docs = [d for d in yaml.safe_load_all(entry["patch"]) if d is not None]
        except yaml.YAMLError as exc:
            raise RenderError(f"{rel(kfile)}: an inline patch does not parse: {' '.join(str(exc).split())}") from None
        where = f"{rel(kfile)} (inline patch)"
    else:
        raise RenderError(f"{rel(kfile)}: a patch has neither path nor patch")
    target = entry.get("target")
    if target and len(docs) != 1:
        raise RenderError(f"{where}: a patch with a target must hold one document")
    for doc in docs:
        if isinstance(doc, list):
            raise RenderError(f"{where}: JSON 6902 patches are not implemented by tools/k8s_check.py; "
                              "write a strategic-merge patch")
        if not isinstance(doc, dict) or not doc.get("kind") or not (doc.get("metadata") or {}).get("name"):
            raise RenderError(f"{where}: a strategic-merge patch needs kind and metadata.name")
        if target:
            matches = _select(resources, target)
            if not matches:
                raise RenderError(f"{where}: no resource matches the patch target {target}")
        else:
            meta = doc["metadata"]
            matches = [r for r in resources if r.kind == doc["kind"] and r.name == meta["name"]
                       and (not meta.get("namespace") or r.namespace == meta["namespace"])]
            if len(matches) != 1:
                found = "no" if not matches else "more than one"
                raise RenderError(f"{where}: {found} resource matches the patch {doc['kind']}/{meta['name']}")
        body = copy.deepcopy(doc)
        for field in ("apiVersion", "kind"):
            body.pop(field, None)
        body["metadata"] = {k: v for k, v in body["metadata"].items() if k not in ("name", "namespace")}
        for res in matches:
            if doc.get("$patch") == "delete":
                resources.remove(res)
                continue
            res.obj = _merge(res.obj, body, _builtin(res.obj))


def _select(resources: list[Res], target: dict) -> list[Res]:
    out = []
    for res in resources:
        group, _, version = res.obj["apiVersion"].rpartition("/")
        if target.get("kind") and target["kind"] != res.kind:
            continue
        if target.get("group") is not None and target["group"] != group:
            continue
        if target.get("version") and target["version"] != version:
            continue
        if target.get("name") and not re.fullmatch(target["name"], res.name):
            continue
        if target.get("namespace") and not re.fullmatch(target["namespace"], res.namespace):
            continue
        if target.get("labelSelector") and not _label_selector(target["labelSelector"],
                                                               res.obj["metadata"].get("labels") or {}):
            continue
        if target.get("annotationSelector") and not _label_selector(
                target["annotationSelector"], res.obj["metadata"].get("annotations") or {}):
            continue
        out.append(res)
    return out


def _label_selector(selector: str, labels: dict) -> bool:
    """Equality-based selectors: k=v, k==v, k!=v, k, !k, joined by commas."""
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        if "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def _builtin(obj: dict) -> bool:
    """Kubernetes' own kinds merge lists by key; custom resources replace lists."""
    group = obj["apiVersion"].rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
               "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name",
               "topologySpreadConstraints": "topologyKey", "hostAliases": "ip"}
_DELETE = object()


def _merge(base, patch, builtin: bool):
    """Strategic merge of `patch` into `base` (a copy is returned)."""
    if not isinstance(patch, dict):
        return _clean(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace" or not isinstance(base, dict):
        return _clean(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
            continue
        if key in out and isinstance(value, list) and isinstance(out[key], list):
            merged = _merge_list(key, out[key], value, builtin)
        elif key in out:
            merged = _merge(out[key], value, builtin)
        else:
            merged = _clean(value)
        if merged is _DELETE:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def _merge_list(key: str, base: list, patch: list, builtin: bool) -> list:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_clean(item) for item in patch if not (isinstance(item, dict) and item.get("$patch") == "replace")]
    merge_key = _MERGE_KEYS.get(key) if builtin else None
    if builtin and key == "ports":
        items = [i for i in base + patch if isinstance(i, dict)]
        merge_key = "containerPort" if all("containerPort" in i for i in items) else "port"
    if not merge_key or not all(isinstance(i, dict) and merge_key in i for i in base + patch):
        return [_clean(item) for item in patch]
    out = [copy.deepcopy(item) for item in base]
    for item in patch:
        index = next((n for n, existing in enumerate(out) if existing.get(merge_key) == item[merge_key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del out[index]
        elif index is None:
            out.append(_clean(item))
        else:
            out[index] = _merge(out[index], item, builtin)
    return out


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return copy.deepcopy(value)


def _template_metas(obj: dict, create: bool = True) -> list[dict]:
    """metadata mappings of the pod (and job) templates inside a workload."""
    kind, spec = obj.get("kind"), obj.get("spec")
    if not isinstance(spec, dict):
        return []
    holders = []
    if kind in POD_OWNERS or kind == "Job":
        holders.append(spec.get("template"))
    elif kind == "CronJob":
        job = spec.get("jobTemplate")
        holders.append(job)
        if isinstance(job, dict):
            holders.append((job.get("spec") or {}).get("template"))
    metas = []
    for holder in holders:
        if isinstance(holder, dict):
            if create:
                holder.setdefault("metadata", {})
            if isinstance(holder.get("metadata"), dict):
                metas.append(holder["metadata"])
    return metas


def _add_labels(resources, pairs: dict, selectors: bool, templates: bool) -> None:
    for res in resources:
        obj = res.obj
        obj["metadata"].setdefault("labels", {}).update(pairs)
        if templates:
            for meta in _template_metas(obj):
                meta.setdefault("labels", {}).update(pairs)
        if not selectors:
            continue
        spec = obj.setdefault("spec", {}) if obj["kind"] in POD_OWNERS | {"Service", "PodDisruptionBudget"} else None
        if obj["kind"] in POD_OWNERS or obj["kind"] == "PodDisruptionBudget":
            spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
        elif obj["kind"] == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif obj["kind"] == "NetworkPolicy":
            obj.setdefault("spec", {}).setdefault("podSelector", {}).setdefault("matchLabels", {}).update(pairs)


def _iter_containers(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _iter_containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _iter_containers(item)


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """name, tag, digest of an image reference (a registry port is not a tag)."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        image, tag = image[:colon], image[colon + 1:]
    return image, tag, digest


def _set_images(obj: dict, images: list) -> None:
    for container in _iter_containers(obj):
        if not isinstance(container.get("image"), str):
            continue
        name, tag, digest = split_image(container["image"])
        for image in images:
            if image.get("name") != name:
                continue
            new_name = image.get("newName", name)
            new_tag = str(image["newTag"]) if image.get("newTag") is not None else tag
            new_digest = image.get("digest", digest)
            container["image"] = new_name + (f":{new_tag}" if new_tag else "") + (f"@{new_digest}" if new_digest else "")
            break


def finalize(resources: list[Res]) -> list[Res]:
    """Give generated ConfigMaps their content-hash suffix and point references at the new names."""
    renames: dict[tuple[str, str], str] = {}
    for res in resources:
        if res.generated and res.hashed:
            payload = json.dumps({"data": res.obj.get("data") or {}, "name": res.name}, sort_keys=True)
            new = f"{res.name}-{hashlib.sha256(payload.encode()).hexdigest()[:10]}"
            renames[(res.namespace, res.name)] = new
            res.obj["metadata"]["name"] = new
    if renames:
        for res in resources:
            for pod in _pod_specs(res.obj):
                for ref in _config_refs(pod):
                    if ref["kind"] == "ConfigMap" and (res.namespace, ref["holder"]["name"]) in renames:
                        ref["holder"]["name"] = renames[(res.namespace, ref["holder"]["name"])]
    return resources


def render_tree(directory: pathlib.Path, ctx: Context) -> list[Res]:
    return finalize(render(directory, ctx))


# ---------------------------------------------------------------- workload helpers


def _pod_specs(obj: dict) -> list[dict]:
    return [pod for _, pod in _pod_templates(obj)]


def _pod_templates(obj: dict) -> list[tuple[dict, dict]]:
    """(template metadata, pod spec) of a workload."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    kind = obj.get("kind")
    if kind == "Pod":
        return [(obj.get("metadata") or {}, spec)]
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    elif kind not in POD_OWNERS and kind != "Job":
        return []
    template = spec.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return []
    return [(template.get("metadata") or {}, template["spec"])]


def _job_spec(obj: dict) -> dict | None:
    if obj.get("kind") == "Job":
        return obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        return ((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}
    return None


def _containers(pod: dict, init: bool = True) -> list[dict]:
    out = [c for c in pod.get("initContainers") or [] if isinstance(c, dict)] if init else []
    return out + [c for c in pod.get("containers") or [] if isinstance(c, dict)]


def _config_refs(pod: dict) -> list[dict]:
    """Every Secret/ConfigMap reference of a pod: kind, holder (mapping with the name), key, optional, where."""
    refs = []
    for container in _containers(pod):
        where = f"container {container.get('name')}"
        for source in container.get("envFrom") or []:
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if isinstance(source.get(field), dict):
                    holder = source[field]
                    refs.append({"kind": kind, "holder": holder, "key": None,
                                 "optional": bool(holder.get("optional")), "where": where})
        for env in container.get("env") or []:
            value_from = env.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if isinstance(value_from.get(field), dict):
                    holder = value_from[field]
                    refs.append({"kind": kind, "holder": holder, "key": holder.get("key"),
                                 "optional": bool(holder.get("optional")), "where": f"{where} env {env.get('name')}"})
    for volume in pod.get("volumes") or []:
        where = f"volume {volume.get('name')}"
        if isinstance(volume.get("configMap"), dict):
            refs.append({"kind": "ConfigMap", "holder": volume["configMap"], "key": None,
                         "optional": bool(volume["configMap"].get("optional")), "where": where})
        if isinstance(volume.get("secret"), dict):
            holder = {"name": volume["secret"].get("secretName")}
            refs.append({"kind": "Secret", "holder": holder, "key": None,
                         "optional": bool(volume["secret"].get("optional")), "where": where})
        for source in (volume.get("projected") or {}).get("sources") or []:
            for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                if isinstance(source.get(field), dict):
                    refs.append({"kind": kind, "holder": source[field], "key": None,
                                 "optional": bool(source[field].get("optional")), "where": where})
    for pull in pod.get("imagePullSecrets") or []:
        refs.append({"kind": "Secret", "holder": pull, "key": None, "optional": False, "where": "imagePullSecrets"})
    return refs


def _selector_matches(selector: dict, labels: dict) -> bool:
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _pods_selected(resources: list[Res], namespace: str, selector: dict, kinds=POD_OWNERS) -> list[Res]:
    out = []
    for res in resources:
        if res.kind in kinds and res.namespace == namespace:
            for meta, _ in _pod_templates(res.obj):
                if _selector_matches(selector, meta.get("labels") or {}):
                    out.append(res)
    return out


def _quantity(value) -> float | None:
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * _MULTIPLIERS[match.group(2)]


def _int(value) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class Env:
    """A container's environment as far as the render tells it: name -> value, or None when the
    value comes from a Secret or from a source outside the render."""

    def __init__(self, container: dict, configmaps: dict[tuple[str, str], dict], namespace: str):
        self.values: dict[str, str | None] = {}
        self.complete = True   # False when an envFrom source is not in the render
        for source in container.get("envFrom") or []:
            if isinstance(source.get("configMapRef"), dict):
                data = configmaps.get((namespace, source["configMapRef"].get("name")))
                if data is None:
                    self.complete = False
                    continue
                prefix = source.get("prefix", "")
                self.values.update({prefix + k: str(v) for k, v in data.items()})
            else:
                self.complete = False
        for env in container.get("env") or []:
            if "value" in env:
                self.values[env.get("name")] = str(env["value"])
            elif isinstance((env.get("valueFrom") or {}).get("configMapKeyRef"), dict):
                ref = env["valueFrom"]["configMapKeyRef"]
                data = configmaps.get((namespace, ref.get("name"))) or {}
                self.values[env.get("name")] = data.get(ref.get("key"))
            else:
                self.values[env.get("name")] = None

    def known(self, name: str) -> bool:
        return name in self.values or self.complete

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def _configmaps(resources: list[Res]) -> dict[tuple[str, str], dict]:
    return {(r.namespace, r.name): {str(k): v for k, v in (r.obj.get("data") or {}).items()}
            for r in resources if r.kind == "ConfigMap"}


def _command(container: dict) -> str:
    return " ".join(str(part) for part in (container.get("command") or []) + (container.get("args") or []))


# ---------------------------------------------------------------- checks for every render


def check_documents(resources: list[Res]):
    for res in resources:
        obj, name = res.obj, res.name
        pattern, limit = (_DNS_LABEL, 63) if res.kind in ("Service", "Namespace") else (_SUBDOMAIN, 253)
        if not pattern.match(name) or len(name) > limit:
            yield f"{res.ref}: metadata.name {name!r} is not a valid {res.kind} name"
        if res.kind == "CronJob" and len(name) > 52:
            yield f"{res.ref}: a CronJob name must be at most 52 characters"
        for meta in [obj["metadata"], *_template_metas(obj, create=False)]:
            for field in ("labels", "annotations"):
                for key, value in (meta.get(field) or {}).items():
                    if not isinstance(value, str):
                        yield f"{res.ref}: {field[:-1]} {key} must be a string (quote {value!r})"
        if res.kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if not isinstance(value, str):
                    yield f"{res.ref}: data {key} must be a string (quote {value!r})"
        for container in _iter_containers(obj):
            for env in container.get("env") or []:
                if "value" in env and not isinstance(env["value"], str):
                    yield f"{res.ref}: container {container.get('name')} env {env.get('name')} must be a string " \
                          f"(quote {env['value']!r})"


def check_workloads(resources: list[Res]):
    configmaps = _configmaps(resources)
    for res in resources:
        if res.kind not in WORKLOADS:
            continue
        templates = _pod_templates(res.obj)
        if not templates:
            yield f"{res.ref}: has no pod template"
            continue
        meta, pod = templates[0]
        yield from _check_pod(res, meta, pod, configmaps)
        if res.kind in POD_OWNERS:
            selector = (res.obj.get("spec") or {}).get("selector")
            if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
                yield f"{res.ref}: spec.selector is missing"
            elif not _selector_matches(selector, meta.get("labels") or {}):
                yield f"{res.ref}: spec.selector does not match the pod template's labels"
        if res.kind == "Deployment" and "terminationGracePeriodSeconds" not in pod:
            yield f"{res.ref}: set terminationGracePeriodSeconds (time to finish workers and commit offsets)"
        job = _job_spec(res.obj)
        if job is not None:
            yield from _check_job(res, job, pod)


def _check_pod(res: Res, meta: dict, pod: dict, configmaps: dict):
    pod_sc = pod.get("securityContext") or {}
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    port_numbers: dict[int, str] = {}
    main = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
    if not main:
        yield f"{res.ref}: the pod has no containers"
    for container in _containers(pod):
        is_init = container not in main
        label = f"{res.ref}: {'init container' if is_init else 'container'} {container.get('name')}"
        if not container.get("name"):
            yield f"{res.ref}: a container has no name"
        if not container.get("image"):
            yield f"{label} has no image"
        yield from _check_resources(label, container.get("resources") or {})
        yield from _check_security(label, pod_sc, container.get("securityContext") or {})
        for mount in container.get("volumeMounts") or []:
            if mount.get("name") not in volumes:
                yield f"{label} mounts volume {mount.get('name')!r}, which the pod does not define"
        names = [e.get("name") for e in container.get("env") or []]
        for name in sorted({n for n in names if names.count(n) > 1}):
            yield f"{label} sets env {name} twice"
        for name in names:
            if not isinstance(name, str) or not _ENV_NAME.match(name):
                yield f"{label} has an invalid env name {name!r}"
        ports = {}
        for port in container.get("ports") or []:
            name, number = port.get("name"), port.get("containerPort")
            if not name:
                yield f"{label} port {number} has no name (name every port: grpc, metrics, http)"
            elif not _PORT_NAME.match(str(name)):
                yield f"{label} port name {name!r} is not a valid port name (at most 15 lowercase characters)"
            elif name in ports:
                yield f"{label} names two ports {name!r}"
            if number in port_numbers:
                yield f"{label} port {number} is also declared by container {port_numbers[number]}"
            port_numbers[number] = container.get("name")
            ports[name] = number
        if not is_init:
            yield from _check_probes(res, label, container, ports)
            yield from _check_listen_settings(label, container, ports, Env(container, configmaps, res.namespace))
    yield from _check_migration(res, pod)
    annotations = meta.get("annotations") or {}
    if annotations.get("prometheus.io/scrape") == "true":
        declared = {p.get("containerPort") for c in main for p in c.get("ports") or []}
        if _int(annotations.get("prometheus.io/port")) not in declared:
            yield f"{res.ref}: annotation prometheus.io/port={annotations.get('prometheus.io/port')!r} " \
                  f"is not a container port"


def _check_resources(label: str, resources: dict):
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            value = (resources.get(section) or {}).get(resource)
            if value is None:
                yield f"{label} has no resources.{section}.{resource}"
            elif _quantity(value) is None:
                yield f"{label} resources.{section}.{resource} {value!r} is not a quantity"
    for resource in ("cpu", "memory"):
        request = _quantity((resources.get("requests") or {}).get(resource, ""))
        limit = _quantity((resources.get("limits") or {}).get(resource, ""))
        if request is not None and limit is not None and request > limit:
            yield f"{label} requests more {resource} than its limit"


def _check_security(label: str, pod_sc: dict, sc: dict):
    def effective(field):
        return sc[field] if field in sc else pod_sc.get(field)

    if effective("runAsNonRoot") is not True:
        yield f"{label} does not set securityContext.runAsNonRoot: true"
    if effective("runAsUser") == 0:
        yield f"{label} runs as user 0"
    if sc.get("allowPrivilegeEscalation") is not False:
        yield f"{label} does not set securityContext.allowPrivilegeEscalation: false"
    if sc.get("readOnlyRootFilesystem") is not True:
        yield f"{label} does not set securityContext.readOnlyRootFilesystem: true"
    if sc.get("privileged"):
        yield f"{label} is privileged"
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        yield f"{label} does not drop all capabilities"
    if (effective("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
        yield f"{label} does not set seccompProfile RuntimeDefault (Pod Security Standard restricted)"


def _check_probes(res: Res, label: str, container: dict, ports: dict):
    if res.kind in POD_OWNERS:
        for probe in ("readinessProbe", "livenessProbe"):
            if not container.get(probe):
                yield f"{label} has no {probe}"
    numbers = set(ports.values())
    for field in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(field)
        if not probe:
            continue
        handlers = [h for h in ("grpc", "httpGet", "tcpSocket", "exec") if h in probe]
        if len(handlers) != 1:
            yield f"{label} {field} must have exactly one of grpc, httpGet, tcpSocket, exec"
            continue
        handler = probe[handlers[0]] or {}
        if handlers[0] == "exec":
            continue
        port = handler.get("port")
        if handlers[0] == "grpc" and not isinstance(port, int):
            yield f"{label} {field}.grpc.port must be a number"
        elif isinstance(port, str) and port not in ports:
            yield f"{label} {field} uses port {port!r}, which the container does not name"
        elif isinstance(port, int) and port not in numbers:
            yield f"{label} {field} uses port {port}, which the container does not declare"


def _check_listen_settings(label: str, container: dict, ports: dict, env: Env):
    """A Gorod process must listen where the named ports say, on all interfaces."""
    settings = next((table for marker, table in PORT_SETTINGS.items() if marker in _command(container)), {})
    for port_name, (host_var, port_var) in settings.items():
        if port_name not in ports:
            if env.get(port_var) is not None and port_var in env.values:
                yield f"{label} sets {port_var} but declares no port named {port_name}"
            continue
        if env.known(port_var):
            value = env.get(port_var)
            if value is None and port_var not in env.values:
                yield f"{label} declares port {port_name} but does not set {port_var} (the default differs)"
            elif value is not None and _int(value) != ports[port_name]:
                yield f"{label} sets {port_var}={value} but its {port_name} port is {ports[port_name]}"
        if host_var and env.known(host_var) and env.get(host_var) != "0.0.0.0":
            yield f"{label} must set {host_var}=0.0.0.0 (the default 127.0.0.1 is unreachable in a pod)"


def _check_migration(res: Res, pod: dict):
    for container in pod.get("containers") or []:
        match = re.search(r"gorod_runtime\.run\s+([a-z_]+)\.", _command(container))
        if not match or res.kind not in POD_OWNERS:
            continue
        service = match.group(1)
        migrations = [c for c in pod.get("initContainers") or []
                      if re.search(rf"gorod_runtime\.migrate\s+{service}\b", _command(c))]
        if not migrations:
            yield f"{res.ref}: no init container runs `python -m gorod_runtime.migrate {service}`"
        for init in migrations:
            if init.get("image") != container.get("image"):
                yield f"{res.ref}: init container {init.get('name')} runs another image than {container.get('name')}"
            db = {e.get("name"): e for e in container.get("env") or []}.get("GOROD_DB_URL")
            init_db = {e.get("name"): e for e in init.get("env") or []}.get("GOROD_DB_URL")
            if db != init_db:
                yield f"{res.ref}: init container {init.get('name')} and {container.get('name')} get GOROD_DB_URL " \
                      "differently"


def _check_job(res: Res, job: dict, pod: dict):
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        yield f"{res.ref}: a Job's pods need restartPolicy Never or OnFailure"
    if job.get("completionMode") != "Indexed":
        return
    completions, parallelism = job.get("completions"), job.get("parallelism", 1)
    if not isinstance(completions, int) or completions < 1:
        yield f"{res.ref}: an Indexed Job needs completions"
        return
    if isinstance(parallelism, int) and parallelism > completions:
        yield f"{res.ref}: parallelism {parallelism} exceeds completions {completions}"
    for container in pod.get("containers") or []:
        env = {e.get("name"): e.get("value") for e in container.get("env") or []}
        if "GOROD_RUN_PARTITIONS" in env:
            if _int(env["GOROD_RUN_PARTITIONS"]) != completions:
                yield f"{res.ref}: GOROD_RUN_PARTITIONS={env['GOROD_RUN_PARTITIONS']} but completions is " \
                      f"{completions}; every partition needs its index"
            if "JOB_COMPLETION_INDEX" not in _command(container):
                yield f"{res.ref}: container {container.get('name')} does not pass JOB_COMPLETION_INDEX"


def check_services(resources: list[Res]):
    for res in resources:
        if res.kind != "Service" or (res.obj.get("spec") or {}).get("type") == "ExternalName":
            continue
        spec = res.obj.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector:
            yield f"{res.ref}: has no selector"
            continue
        pods = _pods_selected(resources, res.namespace, {"matchLabels": selector})
        if not pods:
            yield f"{res.ref}: selector {selector} matches no Deployment's pod labels"
        for port in spec.get("ports") or []:
            name, target = port.get("name"), port.get("targetPort", port.get("port"))
            if not name:
                yield f"{res.ref}: port {port.get('port')} has no name"
            if isinstance(target, str) and name and target != name:
                yield f"{res.ref}: port {name!r} targets the container port named {target!r}; use one name"
            for workload in pods:
                declared = [p for _, pod in _pod_templates(workload.obj)
                            for c in pod.get("containers") or [] for p in c.get("ports") or []]
                if isinstance(target, str) and target not in {p.get("name") for p in declared}:
                    yield f"{res.ref}: targetPort {target!r} is not a port name of {workload.ref}"
                if isinstance(target, int) and target not in {p.get("containerPort") for p in declared}:
                    yield f"{res.ref}: targetPort {target} is not a container port of {workload.ref}"


def check_port_names(resources: list[Res]):
    """One port name, one number, across containers and across Services."""
    container_ports: dict[str, dict[int, list[str]]] = {}
    service_ports: dict[str, dict[int, list[str]]] = {}
    for res in resources:
        for _, pod in _pod_templates(res.obj):
            for container in pod.get("containers") or []:
                for port in container.get("ports") or []:
                    if port.get("name"):
                        container_ports.setdefault(port["name"], {}).setdefault(port.get("containerPort"), []) \
                            .append(res.ref)
        if res.kind == "Service":
            for port in (res.obj.get("spec") or {}).get("ports") or []:
                if port.get("name"):
                    service_ports.setdefault(port["name"], {}).setdefault(port.get("port"), []).append(res.ref)
    for what, table in (("container port", container_ports), ("Service port", service_ports)):
        for name, numbers in sorted(table.items()):
            if len(numbers) > 1:
                detail = "; ".join(f"{n} in {', '.join(sorted(set(refs)))}" for n, refs in sorted(numbers.items()))
                yield f"{what} {name!r} has different numbers: {detail}"


def check_policies(resources: list[Res]):
    by_ref = {(r.kind, r.namespace, r.name): r for r in resources}
    hpa_targets = {}
    for res in resources:
        spec = res.obj.get("spec") or {}
        if res.kind == "HorizontalPodAutoscaler":
            ref = spec.get("scaleTargetRef") or {}
            target = by_ref.get((ref.get("kind"), res.namespace, ref.get("name")))
            if target is None:
                yield f"{res.ref}: scaleTargetRef {ref.get('kind')}/{ref.get('name')} is not in the render"
            else:
                hpa_targets[(target.kind, target.name)] = spec
                if "replicas" in (target.obj.get("spec") or {}):
                    yield f"{res.ref}: {target.ref} sets spec.replicas; leave it to the autoscaler " \
                          "(kubectl apply would reset the count)"
            low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
            if not isinstance(high, int) or not isinstance(low, int) or low < 1 or low > high:
                yield f"{res.ref}: needs 1 <= minReplicas <= maxReplicas"
        elif res.kind == "PodDisruptionBudget":
            if ("minAvailable" in spec) == ("maxUnavailable" in spec):
                yield f"{res.ref}: set exactly one of minAvailable and maxUnavailable"
            pods = _pods_selected(resources, res.namespace, spec.get("selector") or {})
            if not pods:
                yield f"{res.ref}: selector matches no Deployment's pods"
    for res in resources:
        spec = res.obj.get("spec") or {}
        if res.kind == "PodDisruptionBudget" and isinstance(spec.get("minAvailable"), int):
            for pod_owner in _pods_selected(resources, res.namespace, spec.get("selector") or {}):
                hpa = hpa_targets.get((pod_owner.kind, pod_owner.name))
                replicas = hpa.get("minReplicas", 1) if hpa else (pod_owner.obj.get("spec") or {}).get("replicas", 1)
                if replicas <= spec["minAvailable"]:
                    yield f"{res.ref}: minAvailable {spec['minAvailable']} with {replicas} replica(s) of " \
                          f"{pod_owner.ref} blocks every node drain"


RENDER_CHECKS = (check_documents, check_workloads, check_services, check_port_names, check_policies)


# ---------------------------------------------------------------- checks for deployable renders


def _defined_secrets(resources: list[Res]) -> dict[tuple[str, str], set | None]:
    """Secrets of the render and those operators create: (namespace, name) -> keys (None: unknown)."""
    secrets: dict[tuple[str, str], set | None] = {}
    for res in resources:
        ns, spec = res.namespace, res.obj.get("spec") or {}
        if res.kind == "Secret":
            secrets[(ns, res.name)] = set(res.obj.get("data") or {}) | set(res.obj.get("stringData") or {})
        elif res.kind == "Cluster" and res.obj["apiVersion"].startswith("postgresql.cnpg.io/"):
            initdb = (spec.get("bootstrap") or {}).get("initdb")
            if initdb is not None or not spec.get("bootstrap"):
                secrets[(ns, f"{res.name}-app")] = set(CNPG_APP_KEYS)
            if spec.get("enableSuperuserAccess"):
                secrets[(ns, f"{res.name}-superuser")] = set(CNPG_APP_KEYS)
            for suffix in ("ca", "server", "replication"):
                secrets[(ns, f"{res.name}-{suffix}")] = None
        elif res.kind == "Kafka" and res.obj["apiVersion"].startswith("kafka.strimzi.io/"):
            for suffix in ("cluster-ca-cert", "clients-ca-cert"):
                secrets[(ns, f"{res.name}-{suffix}")] = None
        elif res.kind == "KafkaUser" and res.obj["apiVersion"].startswith("kafka.strimzi.io/"):
            secrets[(ns, res.name)] = None
    return secrets


def check_references(resources: list[Res], ctx: Context):
    configmaps = {key: set(data) for key, data in _configmaps(resources).items()}
    secrets = _defined_secrets(resources)
    for res in resources:
        templates = _pod_templates(res.obj)
        if not templates:
            continue
        meta, pod = templates[0]
        external = set()
        for notes in (res.obj["metadata"].get("annotations") or {}, meta.get("annotations") or {}):
            external |= {s.strip() for s in notes.get(EXTERNAL_SECRETS_ANNOTATION, "").split(",") if s.strip()}
        for ref in _config_refs(pod):
            name = ref["holder"].get("name")
            if ref["optional"]:
                continue
            table = configmaps if ref["kind"] == "ConfigMap" else secrets
            if ref["kind"] == "Secret" and name in external:
                continue
            if (res.namespace, name) not in table:
                hint = "" if ref["kind"] == "ConfigMap" else \
                    f" (define it, or list it in the annotation {EXTERNAL_SECRETS_ANNOTATION} if it is made outside)"
                yield f"{res.ref}: {ref['where']} refers to {ref['kind']} {name!r}, which is not in the render{hint}"
                continue
            keys = table[(res.namespace, name)]
            if ref["key"] and keys is not None and ref["key"] not in keys:
                yield f"{res.ref}: {ref['where']} refers to key {ref['key']!r} of {ref['kind']} {name!r}, " \
                      f"which has only {', '.join(sorted(keys)) or 'no keys'}"
    for res in resources:
        selector = (res.obj.get("spec") or {}).get("podSelector") or {}
        if res.kind == "NetworkPolicy" and selector and not _pods_selected(resources, res.namespace, selector,
                                                                         kinds=WORKLOADS):
            yield f"{res.ref}: podSelector matches no pods"
    services = {(r.namespace, r.name): r for r in resources if r.kind == "Service"}
    for res in resources:
        if res.kind != "Ingress":
            continue
        for rule in (res.obj.get("spec") or {}).get("rules") or []:
            for path in ((rule.get("http") or {}).get("paths")) or []:
                backend = (path.get("backend") or {}).get("service") or {}
                service = services.get((res.namespace, backend.get("name")))
                port = backend.get("port") or {}
                if service is None:
                    yield f"{res.ref}: backend Service {backend.get('name')!r} is not in the render"
                    continue
                service_ports = (service.obj.get("spec") or {}).get("ports") or []
                if not any(p.get("name") == port.get("name") if "name" in port else p.get("port") == port.get("number")
                           for p in service_ports):
                    yield f"{res.ref}: backend port {port} is not a port of {service.ref}"


def check_images(resources: list[Res], ctx: Context):
    for res in resources:
        for container in _iter_containers(res.obj):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            _, tag, digest = split_image(image)
            if not digest and (not tag or tag == "latest"):
                yield f"{res.ref}: container {container.get('name')} image {image!r} needs a release tag " \
                      "(set it with images: in the overlay)"


def check_gateway_upstreams(resources: list[Res], ctx: Context):
    services = {(r.namespace, r.name): r for r in resources if r.kind == "Service"}
    configmaps = _configmaps(resources)
    suite = suite_services(ctx.repo)
    for res in resources:
        for _, pod in _pod_templates(res.obj):
            for container in pod.get("containers") or []:
                env = Env(container, configmaps, res.namespace)
                is_gateway = "gateway.wsgi" in _command(container)
                if is_gateway:
                    for service in suite:
                        var = f"GOROD_{service.upper()}_ADDR"
                        if env.known(var) and env.get(var) is None:
                            yield f"{res.ref}: container {container.get('name')} does not set {var}"
                for var, value in env.values.items():
                    if not re.fullmatch(r"GOROD_[A-Z]+_ADDR", var or "") or value is None:
                        continue
                    host, _, port = value.rpartition(":")
                    parts = host.split(".")
                    namespace = parts[1] if len(parts) > 1 else res.namespace
                    service = services.get((namespace, parts[0]))
                    if service is None:
                        yield f"{res.ref}: {var}={value} names no Service of the render"
                    elif _int(port) not in {p.get("port") for p in (service.obj.get("spec") or {}).get("ports") or []}:
                        yield f"{res.ref}: {var}={value}: {service.ref} has no port {port}"


def suite_services(repo: pathlib.Path) -> list[str]:
    base = repo / "services"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "pyproject.toml").is_file())


def suite_kafka(repo: pathlib.Path) -> tuple[set[str], dict[str, str]]:
    """Topics the suite publishes (gorod_runtime.kafka.TOPICS) and consumer group -> topic."""
    topics: set[str] = set()
    groups: dict[str, str] = {}
    kafka_py = repo / "libs" / "gorod_runtime" / "gorod_runtime" / "kafka.py"
    if kafka_py.is_file():
        for node in ast.walk(ast.parse(kafka_py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TOPICS" for t in node.targets):
                topics |= set(ast.literal_eval(node.value))
    services = repo / "services"
    for path in sorted(services.rglob("*.py")) if services.is_dir() else []:
        if {"tests", "migrations"} & set(path.relative_to(services).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                func = decorator.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name != "consume" or not decorator.args or not isinstance(decorator.args[0], ast.Constant):
                    continue
                group = next((k.value.value for k in decorator.keywords
                              if k.arg == "group" and isinstance(k.value, ast.Constant)), None)
                if group:
                    groups[group] = decorator.args[0].value
    return topics, groups


def check_kafka(resources: list[Res], ctx: Context):
    kafkas = {(r.namespace, r.name): r for r in resources
              if r.kind == "Kafka" and r.obj["apiVersion"].startswith("kafka.strimzi.io/")}
    declared: dict[str, str] = {}
    for res in resources:
        if res.kind == "KafkaTopic":
            spec = res.obj.get("spec") or {}
            declared[spec.get("topicName") or res.name] = res.ref
            cluster = (res.obj["metadata"].get("labels") or {}).get("strimzi.io/cluster")
            if (res.namespace, cluster) not in kafkas:
                yield f"{res.ref}: label strimzi.io/cluster={cluster!r} names no Kafka of the render"
            replicas = spec.get("replicas")
            min_isr = _int((spec.get("config") or {}).get("min.insync.replicas", 0))
            if not isinstance(replicas, int) or replicas < 3:
                yield f"{res.ref}: replicas must be at least 3"
            if min_isr is None or min_isr < 2 or (isinstance(replicas, int) and min_isr >= replicas):
                yield f"{res.ref}: config min.insync.replicas must be at least 2 and below replicas"
        for _, pod in _pod_templates(res.obj):
            for container in pod.get("containers") or []:
                for env in container.get("env") or []:
                    if env.get("name") == "GOROD_TOPICS" and isinstance(env.get("value"), str):
                        for topic in env["value"].split():
                            declared[topic] = res.ref
    if declared:
        topics, groups = suite_kafka(ctx.repo)
        required = {t: "published (gorod_runtime.kafka.TOPICS)" for t in topics}
        for group, topic in groups.items():
            required.setdefault(topic, f"consumed by group {group}")
            required[f"{group}.dlq"] = f"dead-letter topic of consumer group {group}"
        for topic, why in sorted(required.items()):
            if topic not in declared:
                yield f"Kafka topic {topic} ({why}) is not declared (KafkaTopic in production, GOROD_TOPICS in dev)"
    for (namespace, name), res in kafkas.items():
        config = ((res.obj.get("spec") or {}).get("kafka") or {}).get("config") or {}
        for key, minimum in (("default.replication.factor", 3), ("min.insync.replicas", 2),
                             ("offsets.topic.replication.factor", 3),
                             ("transaction.state.log.replication.factor", 3), ("transaction.state.log.min.isr", 2)):
            if (_int(config.get(key, 0)) or 0) < minimum:
                yield f"{res.ref}: spec.kafka.config.{key} must be at least {minimum}"
        brokers = sum((r.obj.get("spec") or {}).get("replicas", 0) for r in resources
                      if r.kind == "KafkaNodePool" and r.namespace == namespace
                      and (r.obj["metadata"].get("labels") or {}).get("strimzi.io/cluster") == name
                      and "broker" in ((r.obj.get("spec") or {}).get("roles") or []))
        brokers = brokers or ((res.obj.get("spec") or {}).get("kafka") or {}).get("replicas", 0)
        if brokers < 3:
            yield f"{res.ref}: needs at least 3 brokers for replication 3 (has {brokers})"
    if kafkas:
        configmaps = _configmaps(resources)
        wrong: dict[str, list[str]] = {}
        for res in resources:
            for _, pod in _pod_templates(res.obj):
                for container in pod.get("containers") or []:
                    value = Env(container, configmaps, res.namespace).get("KAFKA_BOOTSTRAP_SERVERS")
                    for address in (value or "").split(","):
                        problem = address.strip() and _strimzi_address_problem(address.strip(), res.namespace, kafkas)
                        if problem:
                            users = wrong.setdefault(f"KAFKA_BOOTSTRAP_SERVERS {address.strip()!r}: {problem}", [])
                            if res.ref not in users:
                                users.append(res.ref)
        for problem, users in wrong.items():
            yield f"{problem} (used by {', '.join(users)})"


def _strimzi_address_problem(address: str, namespace: str, kafkas: dict) -> str | None:
    host, _, port = address.rpartition(":")
    parts = host.split(".")
    cluster_ns = parts[1] if len(parts) > 1 else namespace
    for (ns, name), kafka in kafkas.items():
        if ns == cluster_ns and parts[0] == f"{name}-kafka-bootstrap":
            listeners = ((kafka.obj.get("spec") or {}).get("kafka") or {}).get("listeners") or []
            plain = {listener.get("port") for listener in listeners if not listener.get("tls")}
            if _int(port) not in plain:
                return f"Kafka/{name} has no listener without TLS on port {port} (the services speak plain Kafka)"
            return None
    names = ", ".join(f"{n}-kafka-bootstrap" for _, n in kafkas)
    return f"expected the bootstrap Service of the Strimzi cluster ({names})"


def check_database_connections(resources: list[Res], ctx: Context):
    clusters = {(r.namespace, r.name): r for r in resources
                if r.kind == "Cluster" and r.obj["apiVersion"].startswith("postgresql.cnpg.io/")}
    if not clusters:
        return
    configmaps = _configmaps(resources)
    hpas = {}
    for res in resources:
        if res.kind == "HorizontalPodAutoscaler":
            ref = (res.obj.get("spec") or {}).get("scaleTargetRef") or {}
            hpas[(ref.get("kind"), res.namespace, ref.get("name"))] = res.obj.get("spec") or {}
    demand: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for res in resources:
        spec = res.obj.get("spec") or {}
        if res.kind in SCALABLE:
            hpa = hpas.get((res.kind, res.namespace, res.name))
            pods = hpa.get("maxReplicas", 1) if hpa else spec.get("replicas", 1)
            surge = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", "25%")
            pods += math.ceil(pods * int(surge[:-1]) / 100) if str(surge).endswith("%") else int(surge)
        elif res.kind in ("Job", "CronJob"):
            pods = (_job_spec(res.obj) or {}).get("parallelism", 1)
        else:
            continue
        for _, pod in _pod_templates(res.obj):
            for container in pod.get("containers") or []:
                for env in container.get("env") or []:
                    secret = ((env.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name", "")
                    if env.get("name") != "GOROD_DB_URL" or not secret.endswith("-app"):
                        continue
                    key = (res.namespace, secret[: -len("-app")])
                    if key not in clusters:
                        continue
                    env_values = Env(container, configmaps, res.namespace)
                    pool = _int(env_values.get("GOROD_DB_POOL_SIZE") or "") or DEFAULT_DB_POOL_SIZE
                    per_pod = CONNECTIONS_PER_POOL_SLOT * pool
                    if "gorod_runtime.run" in _command(container) and \
                            (env_values.get("GOROD_RELAY_ENABLED") or "true").lower() not in _FALSE:
                        per_pod += RELAY_CONNECTIONS
                    demand.setdefault(key, []).append((f"{res.ref} {pods} pods", pods * per_pod))
    for key, users in sorted(demand.items()):
        cluster = clusters[key]
        parameters = ((cluster.obj.get("spec") or {}).get("postgresql") or {}).get("parameters") or {}
        limit = _int(parameters.get("max_connections", CNPG_DEFAULT_MAX_CONNECTIONS)) or CNPG_DEFAULT_MAX_CONNECTIONS
        total = sum(n for _, n in users)
        if total + DB_CONNECTION_HEADROOM > limit:
            detail = " + ".join(f"{n} ({who})" for who, n in users)
            yield f"{cluster.ref}: max_connections {limit} < {detail} + {DB_CONNECTION_HEADROOM} headroom; " \
                  "raise max_connections or lower GOROD_DB_POOL_SIZE"


DEPLOYABLE_CHECKS = (check_references, check_images, check_gateway_upstreams, check_kafka, check_database_connections)


# ---------------------------------------------------------------- driver


def find_kustomizations(root: pathlib.Path) -> list[pathlib.Path]:
    found = {p.parent.resolve() for name in KUSTOMIZATION_NAMES for p in root.rglob(name)}
    return sorted(found)


def _references(kdirs: list[pathlib.Path]) -> tuple[set[pathlib.Path], set[pathlib.Path]]:
    """Directories included by another kustomization, and every file a kustomization names."""
    included, files = set(), set()
    for directory in kdirs:
        kfile = kustomization_file(directory)
        files.add(kfile.resolve())
        try:
            spec = _load_kustomization(kfile)
        except RenderError:
            continue
        named = [str(e) for e in spec.get("resources") or []]
        named += [str(e) for e in spec.get("patchesStrategicMerge") or []]
        named += [e["path"] for e in spec.get("patches") or [] if isinstance(e, dict) and "path" in e]
        for generator in spec.get("configMapGenerator") or []:
            named += list(generator.get("envs") or []) + ([generator["env"]] if generator.get("env") else [])
            named += [str(f).rpartition("=")[2] for f in generator.get("files") or []]
        for entry in named:
            path = (directory / entry).resolve()
            if path.is_dir():
                included.add(path)
            elif path.is_file():
                files.add(path)
    return included, files


def run_checks(root: pathlib.Path, repo: pathlib.Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """problem -> kustomizations it was found in; kustomization -> rendered documents."""
    ctx = Context(root=root, repo=repo)
    problems: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    kdirs = find_kustomizations(root)
    included, named_files = _references(kdirs)
    for directory in kdirs:
        name = rel(directory)
        try:
            resources = render_tree(directory, ctx)
        except RenderError as exc:
            problems.setdefault(str(exc), []).append(name)
            continue
        counts[name] = len(resources)
        checks = list(RENDER_CHECKS)
        if directory not in included:
            checks += [lambda res, check=check: check(res, ctx) for check in DEPLOYABLE_CHECKS]
        for check in checks:
            for problem in check(resources):
                problems.setdefault(problem, [])
                if name not in problems[problem]:
                    problems[problem].append(name)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix in (".yaml", ".yml", ".env") and path.resolve() not in ctx.used_files | named_files:
            if path.suffix != ".env":
                try:
                    _load_all(path)
                except RenderError as exc:
                    problems.setdefault(str(exc), []).append(rel(path))
                    continue
            problems.setdefault(f"{rel(path)} is not used by any kustomization", []).append(rel(root))
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="directory holding the kustomizations")
    parser.add_argument("--repo", default=str(REPO), help="repository whose services/ declare topics and groups")
    parser.add_argument("--render", metavar="DIR", help="print the rendered manifests of one kustomization and exit")
    args = parser.parse_args(argv)

    if args.render:
        try:
            resources = render_tree(pathlib.Path(args.render), Context(pathlib.Path(args.render), pathlib.Path(args.repo)))
        except RenderError as exc:
            print(f"k8s-check: {exc}", file=sys.stderr)
            return 1
        yaml.safe_dump_all([r.obj for r in resources], sys.stdout, sort_keys=False, allow_unicode=True)
        return 0

    root = pathlib.Path(args.root).resolve()
    if not root.is_dir() or not find_kustomizations(root):
        print(f"k8s-check: no kustomization.yaml under {rel(root)}")
        return 1
    problems, counts = run_checks(root, pathlib.Path(args.repo).resolve())
    for problem, where in problems.items():
        more = f" (+{len(where) - 1} more)" if len(where) > 1 else ""
        print(f"k8s-check: {where[0]}{more}: {problem}")
    documents = sum(counts.values())
    rendered = f"{len(counts)} kustomizations rendered, {documents} documents"
    if problems:
        print(f"k8s-check: FAILED: {len(problems)} problem(s); {rendered}")
        return 1
    print(f"k8s-check: OK: {rendered} checked under {rel(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
