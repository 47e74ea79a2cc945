"""The container image and the Kubernetes manifests (Dockerfile, deploy/k8s/), checked offline.

The production overlay is rendered here in Python: the base is plain manifests listed in its
kustomization.yaml, and the overlay uses only transformers this module re-implements (namespace,
images, replicas, strategic-merge patches by path). Anything else in a kustomization fails the
test, so the renderer cannot silently drift from kustomize; where kubectl (or kustomize) is on the
PATH, its rendering is also compared with ours. Every rendered object is validated against the
Kubernetes OpenAPI schemas with kubernetes-validate in strict mode (unknown fields fail), then
checked for what a reviewer would ask: resources, probes, non-root, grace periods, secret
references, CronJob concurrency, and that every LOVEMACHINE_* variable is a real setting.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from lovemachine.config import Settings
from lovemachine.dsa.policy import DsaPolicy, load_dsa_policy

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "production"
MONITORING = K8S / "monitoring"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# GKE's oldest minor in extended support that we target, and a current one
K8S_VERSIONS = ("1.30", "1.33")
SECRET_NAME = "lovemachine-secrets"
CONFIG_MAP = "lovemachine-config"
IMAGE_UID = 10001
PREFIX = "LOVEMACHINE_"
HPA_METRIC = "pubsub.googleapis.com|subscription|num_undelivered_messages"

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
SUPPORTED_KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "images",
    "replicas",
    "patches",
}
# strategic-merge keys of the lists our patches may touch (k8s.io/api patchMergeKey)
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}


# --------------------------------------------------------------------------- the renderer
def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def strategic_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """A strategic-merge patch, the subset our overlays use: maps merge, lists of containers, env,
    volumes and mounts merge by their key, other lists and scalars replace, null deletes."""
    for key, value in patch.items():
        assert not key.startswith("$"), f"patch directive {key} is not supported by this renderer"
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            strategic_merge(target[key], value)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(target.get(key), list):
            # kustomize's order: the patch's items first, then the others as they were
            merge_key = MERGE_KEYS[key]
            merged = []
            for item in value:
                match = next((t for t in target[key] if t.get(merge_key) == item[merge_key]), None)
                if match is None:
                    merged.append(copy.deepcopy(item))
                else:
                    strategic_merge(match, item)
                    merged.append(match)
            patched = {item[merge_key] for item in value}
            target[key] = merged + [t for t in target[key] if t.get(merge_key) not in patched]
        else:
            target[key] = copy.deepcopy(value)


def _split_image(image: str) -> tuple[str, str]:
    """('registry/name', ':tag' or '@digest' or '')."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    name, _, tag = image.rpartition(":")
    if name and "/" not in tag:
        return name, ":" + tag
    return image, ""


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        yield spec["template"]["spec"]
    elif obj["kind"] == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]


def containers_of(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for pod in pod_specs(obj):
        yield from pod.get("initContainers", [])
        yield from pod["containers"]


def render(directory: Path) -> list[dict[str, Any]]:
    """``kustomize build directory`` for the transformers listed in SUPPORTED_KUSTOMIZATION_KEYS."""
    k = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(k) - SUPPORTED_KUSTOMIZATION_KEYS
    assert not unknown, f"{directory}: {sorted(unknown)} not supported by the test's renderer; keep it simple"
    objs: list[dict[str, Any]] = []
    for entry in k.get("resources", []):
        path = directory / entry
        objs += render(path) if path.is_dir() else load_yaml_docs(path)
    for p in k.get("patches", []):
        assert set(p) == {"path"}, f"{directory}: patches name a file only (the target is in the file)"
        (patch,) = load_yaml_docs(directory / p["path"])
        targets = [
            o
            for o in objs
            if (o["kind"], o["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"])
        ]
        assert len(targets) == 1, f"patch {p['path']} matches {len(targets)} objects"
        strategic_merge(targets[0], patch)
    for r in k.get("replicas", []):
        targets = [
            o
            for o in objs
            if o["kind"] in ("Deployment", "StatefulSet", "ReplicaSet") and o["metadata"]["name"] == r["name"]
        ]
        assert targets, f"replicas: no workload named {r['name']}"
        for o in targets:
            o["spec"]["replicas"] = r["count"]
    for img in k.get("images", []):
        hits = 0
        for obj in objs:
            for c in containers_of(obj):
                name, ref = _split_image(c["image"])
                if name != img["name"]:
                    continue
                hits += 1
                if "newTag" in img:
                    ref = ":" + str(img["newTag"])
                if "digest" in img:
                    ref = "@" + img["digest"]
                c["image"] = img.get("newName", name) + ref
        assert hits, f"images: no container uses {img['name']}"
    if ns := k.get("namespace"):
        for obj in objs:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = ns
    return objs


def _normalized(value: Any, key: str = "") -> Any:
    """Merge-keyed lists sorted by their key: their order is no contract between kustomize versions."""
    if isinstance(value, dict):
        return {k: _normalized(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalized(v) for v in value]
        if key in MERGE_KEYS:
            items.sort(key=lambda item: str(item.get(MERGE_KEYS[key])))
        return items
    return value


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render(OVERLAY)


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return render(BASE)


def one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (obj,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj


def workloads(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] in ("Deployment", "Job", "CronJob")]


def configmap_env(objs: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The environment a container gets: its ConfigMaps (envFrom) and its literal env values;
    secretKeyRef values stand in as 'secret:<key>'."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"{container['name']}: envFrom only from ConfigMaps"
        env.update(one(objs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            env[e["name"]] = "secret:" + e["valueFrom"]["secretKeyRef"]["key"]
    return env


# --------------------------------------------------------------------------- rendering
def test_the_renderer_matches_kustomize_when_it_is_installed(rendered: list[dict[str, Any]]) -> None:
    if shutil.which("kustomize"):
        cmd = ["kustomize", "build", str(OVERLAY)]
    elif shutil.which("kubectl"):
        cmd = ["kubectl", "kustomize", str(OVERLAY)]
    else:
        pytest.skip("neither kustomize nor kubectl on the PATH: the Python rendering is checked alone")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    theirs = {_key(o): _normalized(o) for o in yaml.safe_load_all(out) if o}
    ours = {_key(o): _normalized(o) for o in rendered}
    assert sorted(ours) == sorted(theirs)
    for key, obj in ours.items():
        assert obj == theirs[key], f"{key}: the test's renderer differs from {cmd[0]}"


def test_the_overlay_sets_the_image_the_namespace_and_the_replicas(rendered: list[dict[str, Any]]) -> None:
    images = {c["image"] for o in workloads(rendered) for c in containers_of(o)}
    assert len(images) == 1, f"one image for every process: {images}"
    (image,) = images
    name, ref = _split_image(image)
    assert ref.startswith((":", "@")) and ref not in (":latest", ""), f"pin a tag or digest: {image}"
    assert "registry.example.com" not in name
    assert {o["metadata"].get("namespace") for o in rendered} == {"lovemachine"}
    assert one(rendered, "Deployment", "lovemachine-cstool")["spec"]["replicas"] >= 2


# --------------------------------------------------------------------------- schemas
def _all_checked_objects() -> list[tuple[str, dict[str, Any]]]:
    objs = [("overlay", o) for o in render(OVERLAY)] + [("base", o) for o in render(BASE)]
    objs += [("example", o) for o in load_yaml_docs(SECRET_EXAMPLE)]
    return objs


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(
    ("where", "obj"),
    _all_checked_objects(),
    ids=lambda v: v if isinstance(v, str) else f"{v['kind']}/{v['metadata']['name']}",
)
def test_every_manifest_is_valid_kubernetes_strictly(where: str, obj: dict[str, Any], version: str) -> None:
    assert kubernetes_validate.validate(obj, version, strict=True) == version


def test_strict_validation_does_catch_an_unknown_field(rendered: list[dict[str, Any]]) -> None:
    worker = copy.deepcopy(one(rendered, "Deployment", "lovemachine-worker"))
    worker["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # a typo of `resources`
    with pytest.raises(kubernetes_validate.ValidationError, match="resource"):
        kubernetes_validate.validate(worker, K8S_VERSIONS[0], strict=True)


# --------------------------------------------------------------------------- containers and pods
def test_every_container_has_requests_and_limits(rendered: list[dict[str, Any]]) -> None:
    for obj in workloads(rendered):
        for c in containers_of(obj):
            res = c.get("resources", {})
            where = f"{obj['metadata']['name']}/{c['name']}"
            assert {"cpu", "memory"} <= set(res.get("requests", {})), f"{where}: requests"
            assert "memory" in res.get("limits", {}), f"{where}: a memory limit"
            # the schema takes any key here; the API server refuses a misspelt one at apply time
            for section in ("requests", "limits"):
                assert set(res.get(section, {})) <= {"cpu", "memory", "ephemeral-storage"}, where


def test_long_running_containers_have_probes(rendered: list[dict[str, Any]]) -> None:
    for obj in (o for o in rendered if o["kind"] == "Deployment"):
        for c in containers_of(obj):
            assert "livenessProbe" in c and "readinessProbe" in c, f"{obj['metadata']['name']}/{c['name']}"


def test_the_worker_probes_and_metrics_use_the_metrics_port(rendered: list[dict[str, Any]]) -> None:
    worker = one(rendered, "Deployment", "lovemachine-worker")
    (c,) = worker["spec"]["template"]["spec"]["containers"]
    port = int(configmap_env(rendered, c)["LOVEMACHINE_METRICS_PORT"])
    assert port == 9464
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert named["metrics"] == port
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    assert c["args"][0] == "worker"


def test_the_cs_tool_is_internal_and_does_not_migrate(rendered: list[dict[str, Any]]) -> None:
    cstool = one(rendered, "Deployment", "lovemachine-cstool")
    (c,) = cstool["spec"]["template"]["spec"]["containers"]
    assert c["args"][:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "--no-migrate" in c["args"], "migrations are the Job's: replicas must not race it"
    assert c["readinessProbe"]["httpGet"]["path"] == "/healthz"
    # a database outage must not restart the CS tool: liveness does not check the database
    assert "httpGet" not in c["livenessProbe"]
    svc = one(rendered, "Service", "lovemachine-cstool")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["selector"].items() <= cstool["spec"]["template"]["metadata"]["labels"].items()
    assert {p["targetPort"] for p in svc["spec"]["ports"]} <= {p["name"] for p in c["ports"]}
    # /metrics shares the application port: nothing here publishes it
    assert not [o for o in rendered if o["kind"] in ("Ingress", "Gateway", "HTTPRoute")]
    assert "/metrics" in (BASE / "cstool-service.yaml").read_text(encoding="utf-8")


def test_every_pod_runs_as_non_root_with_a_read_only_root(rendered: list[dict[str, Any]]) -> None:
    for obj in workloads(rendered):
        for pod in pod_specs(obj):
            name = obj["metadata"]["name"]
            sc = pod["securityContext"]
            assert sc["runAsNonRoot"] is True, name
            assert sc["runAsUser"] == IMAGE_UID, f"{name}: the image's user"
            assert pod["serviceAccountName"] == "lovemachine", name
            tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
            for c in pod["containers"]:
                csc = c["securityContext"]
                assert csc["readOnlyRootFilesystem"] is True, f"{name}/{c['name']}"
                assert csc["allowPrivilegeEscalation"] is False, f"{name}/{c['name']}"
                assert csc["capabilities"]["drop"] == ["ALL"], f"{name}/{c['name']}"
                assert csc.get("runAsUser", IMAGE_UID) != 0
                tmp = [m for m in c["volumeMounts"] if m["mountPath"] == "/tmp"]
                assert tmp and tmp[0]["name"] in tmp_volumes, f"{name}/{c['name']}: an emptyDir on /tmp"


def test_the_worker_grace_period_exceeds_its_own(rendered: list[dict[str, Any]]) -> None:
    worker = one(rendered, "Deployment", "lovemachine-worker")
    (c,) = worker["spec"]["template"]["spec"]["containers"]
    env = configmap_env(rendered, c)
    grace_s = float(env.get("LOVEMACHINE_WORKER_GRACE_S", Settings.model_fields["worker_grace_s"].default))
    pod_grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert pod_grace > grace_s + 10, f"terminationGracePeriodSeconds {pod_grace} vs worker grace {grace_s}"


# --------------------------------------------------------------------------- secrets and settings
def test_secrets_come_only_from_the_operators_secret(rendered: list[dict[str, Any]]) -> None:
    (example,) = load_yaml_docs(SECRET_EXAMPLE)
    assert example["metadata"]["name"] == SECRET_NAME
    example_keys = set(example["stringData"])
    used: set[str] = set()
    for obj in workloads(rendered):
        for c in containers_of(obj):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    assert ref["name"] == SECRET_NAME, f"{obj['metadata']['name']}: {ref}"
                    assert ref["key"] in example_keys, f"{ref['key']} missing from secret.example.yaml"
                    used.add(ref["key"])
    assert used == example_keys, "the example documents exactly the keys the manifests read"
    assert not [o for o in rendered if o["kind"] == "Secret"], "the operator creates the Secret"
    for k in K8S.rglob("kustomization.yaml"):
        resources = yaml.safe_load(k.read_text(encoding="utf-8")).get("resources", [])
        assert not [r for r in resources if "secret" in r.lower()], f"{k}: secrets stay out of kustomizations"


def test_secret_settings_never_appear_as_plain_values(rendered: list[dict[str, Any]]) -> None:
    secret_fields = {
        name for name, f in Settings.model_fields.items() if SecretStr in (f.annotation, *_args(f.annotation))
    } | {"database_url"}
    assert "tdb_token" in secret_fields
    secret_vars = {PREFIX + name.upper() for name in secret_fields}
    for cm in (o for o in rendered if o["kind"] == "ConfigMap"):
        assert not secret_vars & set(cm["data"]), cm["metadata"]["name"]
    for obj in workloads(rendered):
        for c in containers_of(obj):
            for e in c.get("env", []):
                if e["name"] in secret_vars:
                    assert "secretKeyRef" in e.get("valueFrom", {}), f"{obj['metadata']['name']}: {e['name']}"


def _args(annotation: Any) -> tuple[Any, ...]:
    return getattr(annotation, "__args__", ())


def _manifest_variables(objs: list[dict[str, Any]]) -> dict[str, str]:
    """Every LOVEMACHINE_* name the manifests and the Dockerfile set -> where."""
    found: dict[str, str] = {}
    for cm in (o for o in objs if o["kind"] == "ConfigMap"):
        for name in cm.get("data", {}):
            if name.startswith(PREFIX):
                found[name] = f"ConfigMap {cm['metadata']['name']}"
    for obj in workloads(objs):
        for c in containers_of(obj):
            for e in c.get("env", []):
                if e["name"].startswith(PREFIX):
                    found[e["name"]] = f"{obj['metadata']['name']}/{c['name']}"
    for name in re.findall(rf"\b({PREFIX}[A-Z0-9_]+)=", DOCKERFILE.read_text(encoding="utf-8")):
        found[name] = "Dockerfile"
    return found


def test_every_lovemachine_variable_is_a_setting(rendered: list[dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    variables = _manifest_variables(rendered)
    assert len(variables) > 5
    for var, where in sorted(variables.items()):
        field = var.removeprefix(PREFIX).lower()
        assert field in fields, f"{var} ({where}) is not a field of lovemachine.config.Settings"


def test_each_containers_environment_makes_valid_settings(
    rendered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for obj in workloads(rendered):
        for c in containers_of(obj):
            sources = [src["configMapRef"]["name"] for src in c.get("envFrom", [])]
            assert CONFIG_MAP in sources, f"{obj['metadata']['name']}: all processes share the settings"
            env = configmap_env(rendered, c)
            with monkeypatch.context() as m:
                for name in [n for n in os.environ if n.startswith(PREFIX)]:
                    m.delenv(name)
                for name, value in env.items():
                    if value.startswith("secret:"):
                        value = "postgresql+psycopg://u:p@db:5432/lm" if "DATABASE" in name else "token"
                    m.setenv(name, value)
                s = Settings()
            assert s.broker == "pubsub"
            assert s.database_url.startswith("postgresql+psycopg://")
            assert s.image_allowed_hosts == [], "no test or demo image hosts in production"
            assert s.listing_subscription == "lovemachine-scorer"


def test_the_dsa_policy_loads_and_is_mounted_where_it_is_named(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    cm = one(rendered, "ConfigMap", "lovemachine-dsa-policy")
    (key,) = cm["data"]
    path = tmp_path / key
    path.write_text(cm["data"][key], encoding="utf-8")
    policy = load_dsa_policy(path)
    assert isinstance(policy, DsaPolicy) and policy.appeal_months >= 6
    for obj in workloads(rendered):
        for pod in pod_specs(obj):
            for c in pod["containers"]:
                named = configmap_env(rendered, c).get("LOVEMACHINE_DSA_POLICY_FILE")
                if named is None:
                    continue
                mount_dir, _, file = named.rpartition("/")
                mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
                volumes = {v["name"]: v for v in pod["volumes"]}
                assert file == key and mount_dir in mounts, f"{obj['metadata']['name']}: {named} not mounted"
                assert volumes[mounts[mount_dir]]["configMap"]["name"] == "lovemachine-dsa-policy"


def test_the_artifact_volume_is_shared_by_workers_cs_tool_and_retrain(rendered: list[dict[str, Any]]) -> None:
    pvc = one(rendered, "PersistentVolumeClaim", "lovemachine-artifacts")
    assert "ReadWriteMany" in pvc["spec"]["accessModes"], "pods on several nodes mount it at once"
    writable: dict[str, bool] = {}
    subpaths: set[str | None] = set()
    for kind, name in [
        ("Deployment", "lovemachine-worker"),
        ("Deployment", "lovemachine-cstool"),
        ("CronJob", "lovemachine-retrain"),
    ]:
        obj = one(rendered, kind, name)
        (pod,) = pod_specs(obj)
        (c,) = pod["containers"]
        artifact_dir = configmap_env(rendered, c)["LOVEMACHINE_ARTIFACT_DIR"]
        (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == artifact_dir]
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
        subpaths.add(mount.get("subPath"))
        writable[name] = not mount.get("readOnly", False)
    assert len(subpaths) == 1, "everyone sees the same directory"
    assert writable == {
        "lovemachine-worker": False,
        "lovemachine-cstool": False,
        "lovemachine-retrain": True,
    }, "only the retrain writes artifacts"


# --------------------------------------------------------------------------- scaling, disruption
def test_the_worker_scales_on_the_subscription_backlog(rendered: list[dict[str, Any]]) -> None:
    hpa = one(rendered, "HorizontalPodAutoscaler", "lovemachine-worker")
    worker = one(rendered, "Deployment", "lovemachine-worker")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "lovemachine-worker",
    }
    assert "replicas" not in worker["spec"], "the HPA owns the worker count; a fixed one is reset on apply"
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    assert metric["external"]["metric"]["name"] == HPA_METRIC
    selector = metric["external"]["metric"]["selector"]["matchLabels"]
    (c,) = worker["spec"]["template"]["spec"]["containers"]
    subscription = configmap_env(rendered, c).get(
        "LOVEMACHINE_LISTING_SUBSCRIPTION", Settings.model_fields["listing_subscription"].default
    )
    assert (
        selector
        == {"resource.labels.subscription_id": subscription}
        == {"resource.labels.subscription_id": "lovemachine-scorer"}
    )
    assert metric["external"]["target"]["type"] == "AverageValue"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_disruption_budgets_cover_the_deployments(rendered: list[dict[str, Any]]) -> None:
    pdbs = [o for o in rendered if o["kind"] == "PodDisruptionBudget"]
    for dep in (o for o in rendered if o["kind"] == "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        covering = [p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1, dep["metadata"]["name"]
        assert covering[0]["spec"].get("maxUnavailable") == 1


# --------------------------------------------------------------------------- jobs
def test_cronjobs_run_one_at_a_time(rendered: list[dict[str, Any]]) -> None:
    cronjobs = [o for o in rendered if o["kind"] == "CronJob"]
    assert {o["metadata"]["name"] for o in cronjobs} >= {"lovemachine-retrain"}
    for cj in cronjobs:
        spec = cj["spec"]
        assert spec["concurrencyPolicy"] == "Forbid", cj["metadata"]["name"]
        assert spec["startingDeadlineSeconds"] > 0
        assert "backoffLimit" in spec["jobTemplate"]["spec"]
        assert spec["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_retrain_reads_its_base_data_from_a_mounted_volume(rendered: list[dict[str, Any]]) -> None:
    cj = one(rendered, "CronJob", "lovemachine-retrain")
    (pod,) = pod_specs(cj)
    (c,) = pod["containers"]
    assert c["args"][0] == "retrain"
    base_data = c["args"][c["args"].index("--base-data") + 1]
    assert base_data == "/data/base.jsonl"
    assert any(base_data.startswith(m["mountPath"] + "/") for m in c["volumeMounts"])


def test_migrations_run_first_with_what_they_need(rendered: list[dict[str, Any]]) -> None:
    """deploy/README.md applies `-l app.kubernetes.io/component in (config,migrations)` first and
    waits for the Job: that selection must hold everything the Job's pod references."""
    job = one(rendered, "Job", "lovemachine-db-upgrade")
    (pod,) = pod_specs(job)
    (c,) = pod["containers"]
    assert c["args"] == ["db", "upgrade"]
    first = {
        (o["kind"], o["metadata"]["name"])
        for o in rendered
        if o["metadata"]["labels"].get("app.kubernetes.io/component") in ("config", "migrations")
    }
    needed = {("Job", job["metadata"]["name"]), ("ServiceAccount", pod["serviceAccountName"])}
    needed |= {("ConfigMap", s["configMapRef"]["name"]) for s in c.get("envFrom", [])}
    needed |= {("ConfigMap", v["configMap"]["name"]) for v in pod["volumes"] if "configMap" in v}
    assert needed <= first
    assert not [n for n in first if n[0] in ("Deployment", "CronJob")]
    assert "app.kubernetes.io/component in (config,migrations)" in (K8S.parent / "README.md").read_text(
        encoding="utf-8"
    )


def test_workload_identity(rendered: list[dict[str, Any]]) -> None:
    sa = one(rendered, "ServiceAccount", "lovemachine")
    gsa = sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"]
    assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[A-Za-z0-9_-]+\.iam\.gserviceaccount\.com", gsa), gsa


# --------------------------------------------------------------------------- monitoring (CRDs)
MONITORING_DOCS = [
    doc for f in ("podmonitor.yaml", "podmonitoring-gmp.yaml") for doc in load_yaml_docs(MONITORING / f)
]
CRD_GROUPS = ("monitoring.coreos.com/", "monitoring.googleapis.com/")


@pytest.mark.parametrize(
    "obj",
    [d for d in MONITORING_DOCS if not d["apiVersion"].startswith(CRD_GROUPS)],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_the_monitoring_rbac_is_valid_kubernetes_strictly(obj: dict[str, Any]) -> None:
    for version in K8S_VERSIONS:
        assert kubernetes_validate.validate(obj, version, strict=True) == version


def test_the_monitoring_crds_select_the_metrics_ports(rendered: list[dict[str, Any]]) -> None:
    """No schema for CRDs in kubernetes-validate: their structure is checked here instead."""
    pods = {
        o["metadata"]["name"]: (
            o["spec"]["template"]["metadata"]["labels"],
            {p["name"] for c in containers_of(o) for p in c.get("ports", [])},
        )
        for o in rendered
        if o["kind"] == "Deployment"
    }
    crds = [d for d in MONITORING_DOCS if d["apiVersion"].startswith(CRD_GROUPS)]
    assert {(d["apiVersion"], d["kind"]) for d in crds} == {
        ("monitoring.coreos.com/v1", "PodMonitor"),
        ("monitoring.googleapis.com/v1", "PodMonitoring"),
    }
    for d in crds:
        selector = d["spec"]["selector"]
        endpoints = d["spec"].get("podMetricsEndpoints") or d["spec"]["endpoints"]
        matched = [
            ports
            for labels, ports in pods.values()
            if selector["matchLabels"].items() <= labels.items()
            and all(
                labels.get(e["key"]) in e["values"]
                for e in selector.get("matchExpressions", [])
                if e["operator"] == "In"
            )
        ]
        assert matched, f"{d['metadata']['name']} selects no pod"
        for e in endpoints:
            assert e["path"] == "/metrics"
            assert any(e["port"] in ports for ports in matched), f"{d['metadata']['name']}: port {e['port']}"
            if e["port"] == "http":
                # the CS tool's /metrics wants a metrics:read token, from a Secret of its own: the
                # scraper must not be able to read the application's secrets
                credentials = e["authorization"]["credentials"]
                secret = credentials.get("secret", credentials)
                assert e["authorization"]["type"] == "Bearer"
                assert secret["name"] != SECRET_NAME


def test_scrape_annotations_name_a_metrics_port(rendered: list[dict[str, Any]]) -> None:
    """deploy/prometheus/prometheus.example.yml discovers both components by these annotations."""
    for dep in (o for o in rendered if o["kind"] == "Deployment"):
        annotations = dep["spec"]["template"]["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", dep["metadata"]["name"]
        assert annotations["prometheus.io/path"] == "/metrics"
        ports = {p["containerPort"] for c in containers_of(dep) for p in c.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, dep["metadata"]["name"]


# --------------------------------------------------------------------------- the image
def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            out.append((instruction.upper(), args.strip()))
    return out


def test_the_dockerfile_installs_cpu_torch_and_the_package_non_editable() -> None:
    steps = _dockerfile()
    runs = [args for ins, args in steps if ins == "RUN"]
    torch = [r for r in runs if "torch==" in r and "pip install" in r]
    assert torch, "torch is installed on its own, pinned"
    assert all("torch==2.13.0" in r for r in torch)
    assert any("--index-url https://download.pytorch.org/whl/cpu" in r for r in torch)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "torch==2.13.0" in pyproject["project"]["dependencies"], "keep the image's pin with pyproject's"
    installs = [r for r in runs if re.search(r"pip install (\S+ )*\.(\s|$)", r)]
    assert installs, "the package is installed with `pip install .`"
    for r in installs:
        assert " -e " not in r and "--editable" not in r and "[dev]" not in r, r


def test_the_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    steps = _dockerfile()
    args = dict(a.split("=", 1) for ins, a in steps if ins == "ARG" and "=" in a)
    froms = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], a) for ins, a in steps if ins == "FROM"]
    assert len(froms) >= 2, "a builder stage and a runtime stage"
    assert froms[-1].split()[0] == "python:3.11-slim"
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM") :]
    builder = steps[: max(i for i, (ins, _) in enumerate(steps) if ins == "FROM")]
    assert any("gcc" in a for ins, a in builder if ins == "RUN"), "the builder can compile wheels"
    assert not any("gcc" in a for ins, a in final if ins == "RUN"), "no compiler in the runtime image"
    users = [a for ins, a in final if ins == "USER"]
    assert users and users[-1].split(":")[0] == str(IMAGE_UID), "runs as uid 10001 (the pods' runAsUser)"
    assert any(f"--uid {IMAGE_UID}" in a for ins, a in final if ins == "RUN")
    env = " ".join(a for ins, a in final if ins == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert [json.loads(a) for ins, a in final if ins == "ENTRYPOINT"] == [["lovemachine"]]
    assert [json.loads(a) for ins, a in final if ins == "CMD"] == [["worker"]]


def test_the_image_holds_every_package_and_the_data() -> None:
    steps = _dockerfile()
    copied = {src for ins, a in steps if ins == "COPY" and not a.startswith("--") for src in a.split()[:-1]}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, f"not copied: {packages - copied}"
    assert {"pyproject.toml", pyproject["project"]["readme"], "data"} <= copied
    # trainers/sources.py reads data/ beside the installed `trainers` package
    assert any("purelib" in a and "data" in a for ins, a in steps if ins == "RUN")
    ignored = {
        line.strip().strip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "var"} <= ignored
    assert not copied & ignored, f".dockerignore drops what the Dockerfile copies: {copied & ignored}"
