"""The Kubernetes manifests (deploy/k8s) and the container image definition (Dockerfile).

Every overlay is rendered with kustomize; built-in objects are validated strictly against the Kubernetes 1.31
schemas (kubernetes-validate), operator objects (Strimzi, CloudNativePG, prometheus-operator) structurally; then
the rules of the suite are checked on what would really be applied: locked-down pods, probes (the workers' on the
port their settings give them), resources, one migration Job per service, HPA and PDB per API, a KafkaTopic per
catalogue topic, settings the services accept.

kustomize must be installed (deploy/k8s/install-kustomize.sh puts the pinned version in var/bin): a missing
kustomize is a failure, not a skip, so that the manifests are never silently left unchecked.
"""

from __future__ import annotations

import copy
import functools
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shared.catalogue import NAMES as SERVICES  # noqa: E402
from shared.catalogue import PORTS as SERVICE_PORTS  # noqa: E402
from shared.events.catalog import ALL_TOPICS  # noqa: E402

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31"
OVERLAYS = ("dev", "prod")
NAMESPACES = {"dev": "seedbed-dev", "prod": "seedbed"}
IMAGE_REPOSITORY = "registry.example.org/seedbed/seedbed"
UID = 10001

# Built-in API groups: validated strictly against the Kubernetes schemas.
BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
}
# Operator resources (no schema in kubernetes-validate): checked structurally and by the rules below.
CUSTOM_KINDS = {
    ("kafka.strimzi.io/v1", "Kafka"),
    ("kafka.strimzi.io/v1", "KafkaNodePool"),
    ("kafka.strimzi.io/v1", "KafkaTopic"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "Database"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("barmancloud.cnpg.io/v1", "ObjectStore"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
}
CLUSTER_SCOPED_KINDS = {"Namespace"}
STAGES = {"namespace", "platform", "setup", "app"}
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


# --------------------------------------------------------------------------------------------------- rendering


def kustomize_binary() -> str:
    local = ROOT / "var" / "bin" / "kustomize"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    on_path = shutil.which("kustomize")
    if on_path:
        return on_path
    pytest.fail(
        "kustomize not found (neither var/bin/kustomize nor on PATH): run deploy/k8s/install-kustomize.sh",
        pytrace=False,
    )


@functools.cache
def _build(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [kustomize_binary(), "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"kustomize build overlays/{overlay} failed:\n{result.stderr}", pytrace=False)
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay's objects (deep copies: tests may not alter each other's view)."""
    return copy.deepcopy(list(_build(overlay)))


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def objects(overlay: str) -> list[dict[str, Any]]:
    return render(overlay)


# ----------------------------------------------------------------------------------------------------- helpers


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind} {name}, found {len(found)}"
    return found[0]


def where(o: dict[str, Any]) -> str:
    return f"{o['kind']}/{o['metadata']['name']}"


def pod_templates(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(owner, pod template) for every object that runs pods."""
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield o, o["spec"]["template"]
        elif o["kind"] == "CronJob":
            yield o, o["spec"]["jobTemplate"]["spec"]["template"]


def containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def service_of(o: dict[str, Any]) -> str:
    return o["metadata"]["labels"]["app.kubernetes.io/name"]


def component_of(o: dict[str, Any]) -> str:
    return o["metadata"]["labels"]["app.kubernetes.io/component"]


def configmap_data(objects: list[dict[str, Any]], name: str) -> dict[str, str]:
    return named(objects, "ConfigMap", name).get("data", {})


def service_config(objects: list[dict[str, Any]], service: str) -> dict[str, str]:
    """The settings ConfigMap of a service, as its API Deployment refers to it (the name has a hash suffix)."""
    api = named(objects, "Deployment", f"seedbed-{service}-api")
    (source,) = api["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    return configmap_data(objects, source["configMapRef"]["name"])


def container_env(objects: list[dict[str, Any]], container: dict[str, Any], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment Kubernetes would give the container, with Secrets taken from ``secrets`` (name -> data)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmap_data(objects, source["configMapRef"]["name"]))
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
            continue
        ref = var["valueFrom"]
        if "configMapKeyRef" in ref:
            env[var["name"]] = configmap_data(objects, ref["configMapKeyRef"]["name"])[ref["configMapKeyRef"]["key"]]
        elif "secretKeyRef" in ref:
            key = ref["secretKeyRef"]
            if key["name"] in secrets:
                env[var["name"]] = secrets[key["name"]][key["key"]]
            else:
                assert key.get("optional"), f"{var['name']}: Secret {key['name']} is required but not provided"
    return env


def stand_in_secrets(overlay: str) -> dict[str, dict[str, str]]:
    """The Secrets the deployment expects (values are stand-ins; only their presence matters here)."""
    secrets = {f"seedbed-{s}-db": {"password": "stand-in"} for s in SERVICES}
    if overlay == "dev":
        secrets["seedbed-jwt"] = {"hs256-secret": "stand-in-development-secret-of-32-bytes"}
    return secrets


def settings_class_of(service: str) -> Any:
    return importlib.import_module(f"services.{service}.settings").Settings


def settings_from_env(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service's real Settings, built from exactly ``env`` (no SEEDBED_* variable of the test run leaks in)."""
    for name in list(os.environ):
        if name.startswith("SEEDBED_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_class_of(service)()  # raises if production refuses the configuration


def secret_references(objects: list[dict[str, Any]]) -> set[str]:
    """Every Secret the rendered objects refer to (none of them is in the repository)."""
    names: set[str] = set()

    def walk(node: Any, parent_key: str = "") -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("secretKeyRef", "secretRef", "passwordSecret") and isinstance(value, dict):
                    names.add(value["name"])
                elif key in ("accessKeyId", "secretAccessKey") and isinstance(value, dict) and "name" in value:
                    names.add(value["name"])
                elif key == "secret" and isinstance(value, dict) and "secretName" in value:
                    names.add(value["secretName"])
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent_key)

    walk(objects)
    return names


# ----------------------------------------------------------------------------------------- rendering, validity


def test_kustomize_is_installed() -> None:
    version = subprocess.run([kustomize_binary(), "version"], capture_output=True, text=True, check=True).stdout
    assert version.strip().startswith("v5."), version


def test_overlay_renders_namespaced_labelled_objects(overlay: str, objects: list[dict[str, Any]]) -> None:
    assert objects, f"overlays/{overlay} rendered nothing"
    seen: set[tuple[str, str]] = set()
    for o in objects:
        assert {"apiVersion", "kind", "metadata"} <= o.keys(), o
        name = o["metadata"].get("name", "")
        assert DNS1123_SUBDOMAIN.match(name) and len(name) <= 253, f"{o['kind']} has an invalid name {name!r}"
        assert (o["kind"], name) not in seen, f"{o['kind']}/{name} rendered twice"
        seen.add((o["kind"], name))
        if o["kind"] not in CLUSTER_SCOPED_KINDS:
            assert o["metadata"].get("namespace") == NAMESPACES[overlay], f"{where(o)} is not in {NAMESPACES[overlay]}"
        # docs/operations.md applies the manifests in stages selected by this label.
        stage = o["metadata"].get("labels", {}).get("seedbed.io/stage")
        assert stage in STAGES, f"{where(o)} has no seedbed.io/stage label (one of {sorted(STAGES)})"
    namespaces = of_kind(objects, "Namespace")
    assert [n["metadata"]["name"] for n in namespaces] == [NAMESPACES[overlay]]


def test_builtin_objects_validate_strictly_against_kubernetes_1_31(objects: list[dict[str, Any]]) -> None:
    errors: list[str] = []
    for o in objects:
        if o["apiVersion"] not in BUILTIN_API_VERSIONS:
            continue
        try:
            kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{where(o)}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{where(o)}: no Kubernetes {KUBERNETES_VERSION} schema for {o['apiVersion']} {o['kind']}")
    assert not errors, "\n".join(errors)


def test_strict_validation_is_not_vacuous() -> None:
    deployment = copy.deepcopy(of_kind(render("prod"), "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"  # a typo must fail
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_other_object_is_a_known_operator_resource(objects: list[dict[str, Any]]) -> None:
    for o in objects:
        if o["apiVersion"] in BUILTIN_API_VERSIONS:
            continue
        assert (o["apiVersion"], o["kind"]) in CUSTOM_KINDS, f"unexpected {o['apiVersion']} {o['kind']}"
        assert isinstance(o.get("spec"), dict) and o["spec"], f"{where(o)} has no spec"


def test_no_secret_is_in_the_manifests(objects: list[dict[str, Any]]) -> None:
    assert not of_kind(objects, "Secret"), "Secrets are created outside the repository (docs/operations.md)"


def test_every_referenced_secret_is_documented(objects: list[dict[str, Any]]) -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    referenced = secret_references(objects)
    assert referenced, "expected references to externally created Secrets"
    for name in sorted(referenced):
        generic = re.sub(rf"^seedbed-({'|'.join(SERVICES)})-", "seedbed-<service>-", name)
        assert name in operations or generic in operations, f"Secret {name} is not described in docs/operations.md"


# ------------------------------------------------------------------------------------------------------- pods


def test_every_pod_is_locked_down(overlay: str, objects: list[dict[str, Any]]) -> None:
    service_accounts = {sa["metadata"]["name"]: sa for sa in of_kind(objects, "ServiceAccount")}
    templates = list(pod_templates(objects))
    assert templates
    for owner, template in templates:
        spec = template["spec"]
        labels = template["metadata"]["labels"]
        assert labels.get("app.kubernetes.io/part-of") == "seedbed", f"{where(owner)}: pods outside the network policies"
        assert spec.get("automountServiceAccountToken") is False, f"{where(owner)} mounts a service account token"
        assert spec.get("enableServiceLinks") is False, f"{where(owner)}: service links would inject SEEDBED_* variables"
        sa = service_accounts.get(spec.get("serviceAccountName", ""))
        assert sa is not None, f"{where(owner)}: its ServiceAccount is not rendered"
        assert sa.get("automountServiceAccountToken") is False, f"ServiceAccount {sa['metadata']['name']} automounts"
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("runAsNonRoot") is True, where(owner)
        assert pod_security.get("runAsUser") == UID, where(owner)
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", where(owner)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in containers(template):
            at = f"{where(owner)} container {c['name']}"
            security = c.get("securityContext", {})
            assert security.get("allowPrivilegeEscalation") is False, at
            assert security.get("readOnlyRootFilesystem") is True, at
            assert security.get("runAsNonRoot") is True, at
            assert security.get("capabilities", {}).get("drop") == ["ALL"], at
            assert not security.get("capabilities", {}).get("add"), at
            assert not security.get("privileged"), at
            resources = c.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= resources.get(kind, {}).keys(), f"{at}: no {kind} for cpu and memory"
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{at}: no writable /tmp emptyDir"
            repository, _, tag = c["image"].rpartition(":")
            assert repository == IMAGE_REPOSITORY, f"{at}: image {c['image']}"
            assert tag and tag != "latest", f"{at}: image {c['image']} has no pinned tag"
            if overlay == "prod":
                assert tag != "dev", f"{at}: production runs a development image"


def test_api_containers_have_readiness_and_liveness_probes(objects: list[dict[str, Any]]) -> None:
    for deployment in of_kind(objects, "Deployment"):
        if component_of(deployment) == "worker":
            continue  # test_workers_have_a_liveness_probe_on_their_worker_port
        for c in containers(deployment["spec"]["template"]):
            at = f"{where(deployment)} container {c['name']}"
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            assert component_of(deployment) == "api", f"{at}: a Deployment that is neither an API nor a worker"
            assert "http" in ports, at
            readiness, liveness = c.get("readinessProbe"), c.get("livenessProbe")
            assert readiness and liveness, f"{at}: serves HTTP without readiness and liveness probes"
            assert readiness["httpGet"]["path"] == "/readyz", at
            assert liveness["httpGet"]["path"] == "/healthz", at
            for probe in (readiness, liveness, c.get("startupProbe") or liveness):
                assert probe["httpGet"]["port"] in ("http", ports["http"]), at


def test_workers_have_a_liveness_probe_on_their_worker_port(
    overlay: str, objects: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker serves /healthz and /metrics on SEEDBED_<SVC>_WORKER_HTTP_PORT: the container port, the probes,
    the Prometheus annotations and the network policy must name the port the real Settings compute from the
    rendered environment. No readiness probe: a worker serves no traffic."""
    secrets = stand_in_secrets(overlay)
    policies = of_kind(objects, "NetworkPolicy")
    for service in SERVICES:
        worker = named(objects, "Deployment", f"seedbed-{service}-worker")
        template = worker["spec"]["template"]
        (c,) = template["spec"]["containers"]
        at = f"{where(worker)} container {c['name']}"
        settings = settings_from_env(service, container_env(objects, c, secrets), monkeypatch)
        port = settings.worker_http_port
        assert settings.http_host == "0.0.0.0", f"{at}: the worker's HTTP server would not be reachable"

        assert [(p["name"], p["containerPort"]) for p in c["ports"]] == [("worker-http", port)], (
            f"{at}: ports {c['ports']}, but the worker listens on {port}"
        )
        assert "readinessProbe" not in c, f"{at}: a worker serves no traffic; it needs no readiness probe"
        liveness = c.get("livenessProbe")
        assert liveness, f"{at}: no liveness probe"
        for name, probe in (("livenessProbe", liveness), ("startupProbe", c.get("startupProbe"))):
            if probe is None:
                continue
            assert probe["httpGet"]["path"] == "/healthz", f"{at}: {name}"
            assert probe["httpGet"]["port"] in ("worker-http", port), f"{at}: {name} on {probe['httpGet']['port']}"
        # Generous: /healthz turns 503 only after WORKER_STALL_SECONDS; one slow answer must not restart the pod.
        assert liveness.get("failureThreshold", 3) >= 3 and liveness.get("timeoutSeconds", 1) >= 5, at
        assert liveness.get("periodSeconds", 10) * liveness.get("failureThreshold", 3) >= settings.worker_stall_seconds, at
        # The HTTP server opens only once Kafka answers: the worker must have time to wait for the broker.
        first = c.get("startupProbe") or liveness
        grace = first.get("initialDelaySeconds", 0) + first.get("periodSeconds", 10) * first.get("failureThreshold", 3)
        assert grace >= 300, f"{at}: only {grace}s to open the health port (the worker first waits for Kafka)"

        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"

        labels = template["metadata"]["labels"]
        ingress = [n for n in policies if "Ingress" in n["spec"]["policyTypes"] and n["spec"].get("ingress")
                   and matches(n["spec"]["podSelector"].get("matchLabels", {}), labels)]
        assert ingress, f"Prometheus cannot reach {where(worker)}"
        rules = [rule for n in ingress for rule in n["spec"]["ingress"]]
        assert {p["port"] for rule in rules for p in rule.get("ports", [])} == {port}, f"{where(worker)}: ingress ports"
        assert all(rule.get("ports") for rule in rules), f"{where(worker)}: ingress on every port"
        peers = [peer for rule in rules for peer in rule["from"]]
        assert peers == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}] * len(peers), (
            f"{where(worker)}: only the monitoring namespace may reach a worker, not {peers}"
        )

        if overlay == "prod":
            monitors = [m for m in of_kind(objects, "PodMonitor") if matches(m["spec"]["selector"]["matchLabels"], labels)]
            assert len(monitors) == 1, f"{len(monitors)} PodMonitors select {where(worker)}"
            (endpoint,) = monitors[0]["spec"]["podMetricsEndpoints"]
            assert endpoint["port"] == "worker-http" and endpoint["path"] == "/metrics", endpoint


def test_settings_are_accepted_by_the_services_in_production(
    overlay: str, objects: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every SEEDBED_* variable names a real setting, and the services' Settings accept the result."""
    secrets = stand_in_secrets(overlay)
    checked = 0
    for owner, template in pod_templates(objects):
        service = owner["metadata"]["labels"]["app.kubernetes.io/name"]
        if service not in SERVICES:
            continue
        settings_class = settings_class_of(service)
        prefix = f"SEEDBED_{service.upper()}_"
        for c in containers(template):
            env = container_env(objects, c, secrets)
            for name in env:
                if name.startswith("SEEDBED_"):
                    assert name.startswith(prefix), f"{where(owner)}: {name} is not a {service} setting"
                    field = name[len(prefix):].lower()
                    assert field in settings_class.model_fields, f"{where(owner)}: {name} names no setting"
            assert env.get("PGPASSWORD"), f"{where(owner)}: no database password"
            settings = settings_from_env(service, env, monkeypatch)
            assert settings.environment == "production"
            assert settings.http_host == "0.0.0.0", "the API and the worker's HTTP server must listen on the pod IP"
            assert settings.http_port == SERVICE_PORTS[service]
            assert settings.worker_http_port not in SERVICE_PORTS.values(), f"{where(owner)}: worker port clashes"
            url = urlsplit(settings.database_url)
            assert url.scheme == "postgresql+asyncpg", settings.database_url
            assert url.username == service and url.path == f"/{service}", settings.database_url
            assert url.password is None, "the password comes from PGPASSWORD, never from the ConfigMap"
            checked += 1
    assert checked >= 3 * len(SERVICES)


# --------------------------------------------------------------------------------------------------- services


def test_every_service_has_api_worker_service_hpa_pdb_policy_and_migration(objects: list[dict[str, Any]]) -> None:
    deployments = of_kind(objects, "Deployment")
    for service in SERVICES:
        port = SERVICE_PORTS[service]
        api = named(objects, "Deployment", f"seedbed-{service}-api")
        api_labels = api["spec"]["template"]["metadata"]["labels"]
        assert matches(api["spec"]["selector"]["matchLabels"], api_labels)
        (api_container,) = api["spec"]["template"]["spec"]["containers"]
        assert api_container["args"] == [service, "api"]
        assert [p["containerPort"] for p in api_container["ports"]] == [port]
        assert "replicas" not in api["spec"], f"{where(api)}: the HPA owns the replica count"

        worker = named(objects, "Deployment", f"seedbed-{service}-worker")
        assert worker["spec"]["replicas"] == 1, "one relay per service (ordering); extra replicas only stand by"
        assert worker["spec"]["strategy"]["type"] == "Recreate"
        assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == [service, "worker"]

        svc = named(objects, "Service", f"seedbed-{service}")
        assert matches(svc["spec"]["selector"], api_labels)
        assert not any(matches(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
                       for d in deployments if d is not api), f"{where(svc)} selects more than the API pods"
        assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("http", port)]

        hpas = [h for h in of_kind(objects, "HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": api["metadata"]["name"]}]
        assert len(hpas) == 1, f"{where(api)} needs one HorizontalPodAutoscaler"
        assert hpas[0]["apiVersion"] == "autoscaling/v2"
        assert 1 <= hpas[0]["spec"]["minReplicas"] <= hpas[0]["spec"]["maxReplicas"]

        pdbs = [p for p in of_kind(objects, "PodDisruptionBudget") if matches(p["spec"]["selector"]["matchLabels"], api_labels)]
        assert len(pdbs) == 1, f"{where(api)} needs one PodDisruptionBudget"

        ingress = [n for n in of_kind(objects, "NetworkPolicy")
                   if "Ingress" in n["spec"]["policyTypes"] and n["spec"].get("ingress")
                   and matches(n["spec"]["podSelector"].get("matchLabels", {}), api_labels)]
        assert ingress, f"nothing may reach {where(api)}"
        allowed_ports = {p["port"] for n in ingress for rule in n["spec"]["ingress"] for p in rule.get("ports", [])}
        assert allowed_ports == {port}, f"{where(api)}: ingress allowed on {allowed_ports}"
        peers = [peer for n in ingress for rule in n["spec"]["ingress"] for peer in rule["from"]]
        namespaces = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers if "namespaceSelector" in p}
        assert {"ingress-nginx", "monitoring"} <= namespaces
        assert {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "seedbed"}}} in peers

        migration = named(objects, "Job", f"seedbed-{service}-migrate")
        assert migration["spec"]["template"]["spec"]["containers"][0]["args"] == [service, "migrate"]
        assert migration["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")


def test_network_policies_deny_by_default_and_allow_the_platform(objects: list[dict[str, Any]]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    everyone = {"app.kubernetes.io/part-of": "seedbed"}
    deny = [p for p in policies if p["spec"]["podSelector"].get("matchLabels") == everyone
            and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny, "no default-deny policy for the Seedbed pods"
    egress_ports = {
        port["port"]
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels") == everyone
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }
    assert {53, 5432, 9092, 8001} <= egress_ports, egress_ports
    # Services call each other's APIs: the egress rule to the API pods must cover every API port of the catalogue.
    api_ranges = [
        (port["port"], port.get("endPort", port["port"]))
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels") == everyone
        for rule in p["spec"].get("egress", [])
        if any(peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component") == "api"
               for peer in rule.get("to", []))
        for port in rule.get("ports", [])
    ]
    for service, port in SERVICE_PORTS.items():
        assert any(low <= port <= high for low, high in api_ranges), (
            f"no egress rule lets the services call {service} on {port} (base/common/networkpolicies.yaml)"
        )
    kafka = of_kind(objects, "Kafka")[0]
    (listener,) = [lst for lst in kafka["spec"]["kafka"]["listeners"] if lst["port"] == 9092]
    assert {"podSelector": {"matchLabels": everyone}} in listener["networkPolicyPeers"]


def test_an_api_that_trusts_forwarded_addresses_admits_only_the_ingress_and_seedbed(objects: list[dict[str, Any]]) -> None:
    """X-Forwarded-For decides the address the failed-sign-in limit counts by: an API may trust any sender's
    header only while its NetworkPolicy admits nobody but the ingress controller, Prometheus and Seedbed's pods."""
    allowed_namespaces = {"ingress-nginx", "monitoring"}
    checked = set()
    for owner, template in pod_templates(objects):
        if owner["metadata"].get("labels", {}).get("app.kubernetes.io/component") != "api":
            continue
        for container in containers(template):
            trusted = {e["name"]: e.get("value") for e in container.get("env", [])}
            if trusted.get(f"SEEDBED_{service_of(owner).upper()}_FORWARDED_ALLOW_IPS") != "*":
                continue
            labels = template["metadata"]["labels"]
            policies = [p for p in of_kind(objects, "NetworkPolicy")
                        if "Ingress" in p["spec"]["policyTypes"] and p["spec"].get("ingress")
                        and matches(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
            assert policies, f"{where(owner)} trusts X-Forwarded-For from anyone but no policy limits who calls it"
            for policy in policies:
                for rule in policy["spec"]["ingress"]:
                    for peer in rule.get("from", []):
                        namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get(
                            "kubernetes.io/metadata.name")
                        seedbed = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/part-of")
                        assert namespace in allowed_namespaces or seedbed == "seedbed", (where(policy), peer)
            checked.add(service_of(owner))
    assert checked == set(SERVICE_PORTS), checked  # every API trusts its ingress's header, and was checked


def test_registry_has_the_annual_screening_cronjob(objects: list[dict[str, Any]]) -> None:
    cronjob = named(objects, "CronJob", "seedbed-registry-screening")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert cronjob["spec"]["timeZone"] == "Asia/Shanghai"
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert day.isdigit() and month.isdigit() and weekday == "*", "the screening runs once a year"
    (c,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    # `seedbed registry screening` without --year screens the current year (Asia/Shanghai): a fixed --year in the
    # schedule would screen the same year every July.
    assert c["args"] == ["registry", "screening"], c["args"]


def test_the_screening_cronjob_runs_a_registry_job() -> None:
    """`seedbed registry screening` is a job of services/registry/jobs.py (JOBS), which the CLI dispatches to:
    without it the CronJob's pods exit with "unknown command"."""
    jobs = getattr(importlib.import_module("services.registry.jobs"), "JOBS", None)
    assert jobs is not None, "services/registry/jobs.py has no JOBS: `seedbed registry screening` is an unknown command"
    assert "screening" in jobs and callable(jobs["screening"]), f"JOBS has no 'screening' job: {sorted(jobs)}"


def test_scenarios_act_on_passed_deadlines_daily(objects: list[dict[str, Any]]) -> None:
    """`seedbed scenarios close-lapsed` (services/scenarios/jobs.py JOBS) once a day, after the deadline day ends."""
    cronjob = named(objects, "CronJob", "seedbed-scenarios-deadlines")
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "deadlines pass any day: the job runs daily"
    assert cronjob["spec"]["timeZone"] == "Asia/Shanghai" and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    (c,) = template["spec"]["containers"]
    assert c["args"] == ["scenarios", "close-lapsed"], c["args"]
    assert template["spec"]["serviceAccountName"] == "seedbed-scenarios"
    # The service's own settings (a generated ConfigMap: its name carries a content hash).
    assert [ref["configMapRef"]["name"].startswith("seedbed-scenarios-") for ref in c["envFrom"]] == [True]
    from services.scenarios.jobs import JOBS

    assert callable(JOBS["close-lapsed"])


def test_licensing_reminds_and_lapses_trials_daily(objects: list[dict[str, Any]]) -> None:
    """`seedbed licensing trials` (services/licensing/jobs.py JOBS) once a day: 先用后转 reminders and lapses."""
    cronjob = named(objects, "CronJob", "seedbed-licensing-trials")
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "trials end any day: the job runs daily"
    assert cronjob["spec"]["timeZone"] == "Asia/Shanghai" and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    (c,) = template["spec"]["containers"]
    assert c["args"] == ["licensing", "trials"], c["args"]
    assert template["spec"]["serviceAccountName"] == "seedbed-licensing"
    assert [ref["configMapRef"]["name"].startswith("seedbed-licensing-") for ref in c["envFrom"]] == [True]
    from services.licensing.jobs import JOBS

    assert callable(JOBS["trials"])


def test_vouchers_past_their_last_day_expire_daily(objects: list[dict[str, Any]]) -> None:
    """`seedbed funding expire-vouchers` (services/funding/jobs.py JOBS) once a day, after the last day ends."""
    cronjob = named(objects, "CronJob", "seedbed-funding-voucher-expiry")
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "vouchers expire any day: the job runs daily"
    assert cronjob["spec"]["timeZone"] == "Asia/Shanghai" and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    (c,) = template["spec"]["containers"]
    assert c["args"] == ["funding", "expire-vouchers"], c["args"]
    assert template["spec"]["serviceAccountName"] == "seedbed-funding"
    assert [ref["configMapRef"]["name"].startswith("seedbed-funding-") for ref in c["envFrom"]] == [True]
    assert {e["name"] for e in c["env"]} >= {"PGPASSWORD", "SEEDBED_FUNDING_JWT_ALGORITHM"}
    from services.funding.jobs import JOBS

    assert callable(JOBS["expire-vouchers"])


def test_prometheus_scrapes_every_api(overlay: str, objects: list[dict[str, Any]]) -> None:
    for service in SERVICES:
        api = named(objects, "Deployment", f"seedbed-{service}-api")
        annotations = api["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(SERVICE_PORTS[service])
        assert annotations["prometheus.io/path"] == "/metrics"
    if overlay != "prod":
        return
    monitors = of_kind(objects, "ServiceMonitor")
    for service in SERVICES:
        svc = named(objects, "Service", f"seedbed-{service}")
        covering = [m for m in monitors if matches(m["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"])]
        assert covering, f"no ServiceMonitor selects {where(svc)}"
        assert {"port": "http", "path": "/metrics"}.items() <= covering[0]["spec"]["endpoints"][0].items()


def test_production_verifies_rs256_tokens_against_a_jwks_url() -> None:
    objects = render("prod")
    (auth,) = [c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("seedbed-auth")]
    assert auth["data"]["jwt-algorithm"] == "RS256"
    assert auth["data"]["jwks-url"].startswith("https://")


# --------------------------------------------------------------------------------------------- Kafka, Postgres


def test_every_catalogue_topic_has_a_kafka_topic(overlay: str, objects: list[dict[str, Any]]) -> None:
    (kafka,) = of_kind(objects, "Kafka")
    cluster = kafka["metadata"]["name"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False, "topics are created explicitly (DESIGN §5)"
    brokers = sum(
        pool["spec"]["replicas"]
        for pool in of_kind(objects, "KafkaNodePool")
        if "broker" in pool["spec"]["roles"] and pool["metadata"]["labels"]["strimzi.io/cluster"] == cluster
    )
    topics = {t["spec"]["topicName"]: t for t in of_kind(objects, "KafkaTopic")}
    assert set(topics) == {spec.name for spec in ALL_TOPICS}, "KafkaTopics and the catalogue differ"
    for spec in ALL_TOPICS:
        topic = topics[spec.name]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert topic["spec"]["partitions"] == spec.partitions, spec.name
        assert int(topic["spec"]["config"]["retention.ms"]) == spec.retention_ms, spec.name
        replicas = topic["spec"]["replicas"]
        assert 1 <= replicas <= brokers, f"{spec.name}: {replicas} replicas on {brokers} brokers"
        # acks=all producers need min.insync.replicas in-sync copies; one broker down must not stop writes.
        assert int(config["min.insync.replicas"]) <= max(1, replicas - 1), spec.name
    if overlay == "prod":
        assert all(t["spec"]["replicas"] >= 3 for t in topics.values())
    bootstrap = f"{cluster}-kafka-bootstrap:9092"
    for service in SERVICES:
        data = service_config(objects, service)
        assert data[f"SEEDBED_{service.upper()}_KAFKA_BOOTSTRAP"] == bootstrap


def generator(name: str) -> Any:
    """deploy/k8s/<name>.py, a script rather than a package module, loaded by its path."""
    spec = importlib.util.spec_from_file_location(f"seedbed_{name}", K8S / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_topics_file_is_up_to_date() -> None:
    gen_topics = generator("gen_topics")
    assert gen_topics.OUTPUT.read_text(encoding="utf-8") == gen_topics.render(), (
        "deploy/k8s/components/kafka/topics.yaml is out of date: run .venv/bin/python deploy/k8s/gen_topics.py"
    )


def test_generated_service_manifests_are_up_to_date() -> None:
    """base/<service>/ and the databases and roles of components/postgres are service-template/ and the service
    catalogue put together by gen_services.py: the committed files must be exactly what it writes today."""
    gen = generator("gen_services")
    expected = gen.expected_files()
    out_of_date = [str(path.relative_to(ROOT)) for path, text in expected.items()
                   if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not out_of_date, f"out of date, run python3 deploy/k8s/gen_services.py: {out_of_date}"
    stale = [str(path.relative_to(ROOT)) for path in gen.stale_files(expected)]
    assert not stale, f"generated for a service the catalogue no longer has, run deploy/k8s/gen_services.py: {stale}"


def test_the_base_deploys_every_service_of_the_catalogue() -> None:
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text(encoding="utf-8"))
    missing = [s for s in SERVICES if s not in kustomization["resources"]]
    assert not missing, f"deploy/k8s/base/kustomization.yaml does not list {missing}"


def test_every_service_has_its_database_and_role(objects: list[dict[str, Any]]) -> None:
    (cluster,) = of_kind(objects, "Cluster")
    name = cluster["metadata"]["name"]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d for d in of_kind(objects, "Database")}
    for service in SERVICES:
        role = roles[service]
        assert role["login"] is True and role["ensure"] == "present"
        database = databases[service]
        assert database["spec"]["owner"] == service and database["spec"]["cluster"]["name"] == name
        assert database["spec"].get("databaseReclaimPolicy") == "retain"
        api = named(objects, "Deployment", f"seedbed-{service}-api")
        (password,) = [e for e in api["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "PGPASSWORD"]
        assert password["valueFrom"]["secretKeyRef"]["name"] == role["passwordSecret"]["name"]
        url = urlsplit(service_config(objects, service)[f"SEEDBED_{service.upper()}_DATABASE_URL"])
        assert url.hostname == f"{name}-rw" and url.port == 5432


def test_production_backs_up_postgres_continuously() -> None:
    objects = render("prod")
    (cluster,) = of_kind(objects, "Cluster")
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    store = named(objects, "ObjectStore", plugin["parameters"]["barmanObjectName"])
    assert store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    (schedule,) = of_kind(objects, "ScheduledBackup")
    assert schedule["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert schedule["spec"]["method"] == "plugin"
    assert cluster["spec"]["instances"] >= 3


def test_dev_creates_topics_with_a_job_and_production_leaves_them_to_strimzi() -> None:
    objects = render("dev")
    job = named(objects, "Job", "seedbed-topics-create")
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["topics", "create"] and "seedbed-kafka-bootstrap:9092" in args
    # The replication factor is explicit (the CLI's default, 1, fits a single broker only), no higher than the
    # brokers, and above min.insync.replicas unless there is one broker: writes (acks=all) survive one broker down.
    assert args.count("--replication-factor") == 1, args
    replication = int(args[args.index("--replication-factor") + 1])
    (kafka,) = of_kind(objects, "Kafka")
    brokers = sum(p["spec"]["replicas"] for p in of_kind(objects, "KafkaNodePool") if "broker" in p["spec"]["roles"])
    assert 1 <= replication <= brokers, f"replication factor {replication} on {brokers} broker(s)"
    assert int(kafka["spec"]["kafka"]["config"]["min.insync.replicas"]) <= max(1, replication - 1)
    # With Strimzi the KafkaTopics own the topics: one owner, so production runs no topics Job.
    assert not [j for j in of_kind(render("prod"), "Job") if j["metadata"]["name"] == "seedbed-topics-create"]


# ------------------------------------------------------------------------------------------------------ image


def test_dockerfile_builds_a_slim_non_root_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, flags=re.MULTILINE | re.IGNORECASE)
    assert [alias for _, alias in stages] == ["builder", "runtime"], stages
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", dockerfile, flags=re.MULTILINE)
    assert base and base.group(1).startswith("python:3.11-slim"), "the image runs Python 3.11 (pyproject.toml)"
    assert re.search(rf"^USER {UID}(:{UID})?$", dockerfile, flags=re.MULTILINE), "USER must be the fixed UID"
    assert re.search(r'^ENTRYPOINT \["seedbed"\]$', dockerfile, flags=re.MULTILINE)
    assert "COPY --from=builder /opt/seedbed /opt/seedbed" in dockerfile
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert patterns[0] == "**", ".dockerignore must exclude everything by default (no var/, .venv/ or .git/)"
    assert {"!pyproject.toml", "!shared", "!services"} <= set(patterns)


def test_registry_expires_certifications_daily(objects: list[dict[str, Any]]) -> None:
    cronjob = named(objects, "CronJob", "seedbed-registry-certification-expiry")
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "certifications expire any day: the job runs daily"
    assert cronjob["spec"]["timeZone"] == "Asia/Shanghai"
    (c,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert c["args"] == ["registry", "expire-certifications"], c["args"]
    from services.registry.jobs import JOBS

    assert callable(JOBS["expire-certifications"])
