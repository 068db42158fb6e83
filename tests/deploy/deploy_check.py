#!/usr/bin/env python3
"""Checks of the deployment artifacts under deploy/ that run without a container engine, Helm or
Grafana (ctest label deploy; tests/deploy/CMakeLists.txt runs one check per test):

  install        cmake --install into a fresh prefix; the layout; version; config check on every
                 installed example (which name key files that do not exist here)
  parse          every YAML and JSON file under deploy/ parses (Helm templates excepted)
  helm           the config each Helm values set renders passes config check and the JSON Schema
  alerts         promtool check rules and promtool test rules
  systemd        systemd-analyze verify on the installed unit, with no complaint at all
  metrics        every metric the dashboard and the alert rules use is one `causeway metrics` lists
  image          the Dockerfile's runtime packages are exactly those owning the binary's libraries
  compose        docker-compose config; bind-mounted files exist; every image pinned by tag
  healthcheck    the image's health check passes on HTTP 200 and fails on 404 and on no listener
  manpage        the man page renders without warnings and names every subcommand
  runbooks       every `causeway ...` command line in deploy/runbooks names an existing subcommand
                 path (its --help exits 0) and only options that path's --help lists

Each check prints what it checked and ends with a line `N passed, 0 failed`; it exits 1 on the
first failure and 77 (ctest SKIP_RETURN_CODE) when its tool is missing and cannot be installed.
"""
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

SOURCE = Path(os.environ["CAUSEWAY_SOURCE_DIR"])
BUILD = Path(os.environ["CAUSEWAY_BUILD_DIR"])
CAUSEWAY = Path(os.environ["CAUSEWAY_BIN"])
INSTALL_ROOT = Path(os.environ["CAUSEWAY_INSTALL_ROOT"])
NODE = os.environ.get("CAUSEWAY_NODE", "")
DEPLOY = SOURCE / "deploy"
SKIP = 77


class Check:
    def __init__(self, name):
        self.name = name
        self.passed = 0

    def ok(self, condition, what, detail=""):
        if not condition:
            print(f"FAIL {self.name}: {what}" + (f"\n{detail}" if detail else ""))
            print(f"{self.passed} passed, 1 failed")
            sys.exit(1)
        self.passed += 1
        print(f"ok   {what}")

    def skip(self, why):
        print(f"SKIP {self.name}: {why}")
        sys.exit(SKIP)

    def done(self):
        print(f"{self.passed} passed, 0 failed")


def run(args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


def check_config(check, path, label):
    result = run([CAUSEWAY, "config", "check", path])
    check.ok(result.returncode == 0 and result.stdout.startswith("ok: "), f"config check {label}",
             result.stdout + result.stderr)
    return result


# --- install ----------------------------------------------------------------------------------

def check_install(check):
    if INSTALL_ROOT.exists():
        shutil.rmtree(INSTALL_ROOT)
    result = run(["cmake", "--install", BUILD, "--prefix", INSTALL_ROOT])
    check.ok(result.returncode == 0, f"cmake --install --prefix {INSTALL_ROOT}", result.stdout + result.stderr)
    expected = ["bin/causeway", "bin/causeway-verify", "lib/systemd/system/causeway.service",
                "lib/sysusers.d/causeway.conf", "share/causeway/examples/devnet.yaml",
                "share/causeway/examples/production.yaml", "share/causeway/schemas/config.schema.json",
                "share/man/man1/causeway.1"]
    for relative in expected:
        check.ok((INSTALL_ROOT / relative).is_file(), f"installed {relative}")
    schemas = sorted(p.name for p in (INSTALL_ROOT / "share/causeway/schemas").glob("*.json"))
    check.ok(schemas == sorted(p.name for p in (SOURCE / "schemas").glob("*.schema.json")),
             "every schemas/*.schema.json installed", str(schemas))

    installed = INSTALL_ROOT / "bin/causeway"
    version = run([installed, "version"])
    check.ok(version.returncode == 0 and re.match(r"causeway \d+\.\d+\.\d+ ", version.stdout),
             "installed causeway version runs", version.stdout + version.stderr)
    verify_version = run([INSTALL_ROOT / "bin/causeway-verify", "--version"])
    check.ok(verify_version.returncode == 0 and verify_version.stdout.startswith("causeway-verify "),
             "installed causeway-verify --version runs", verify_version.stdout + verify_version.stderr)

    unit = (INSTALL_ROOT / "lib/systemd/system/causeway.service").read_text()
    check.ok(f"ExecStart={installed} relay" in unit and "/usr/bin/causeway" not in unit,
             "the installed unit runs the installed binary")

    examples = sorted((INSTALL_ROOT / "share/causeway/examples").glob("*.yaml"))
    check.ok(len(examples) == 2, "two installed examples", str(examples))
    for example in examples:
        result = run([installed, "config", "check", example])
        check.ok(result.returncode == 0 and result.stdout.startswith("ok: "),
                 f"installed causeway config check {example.name}", result.stdout + result.stderr)
        # The examples name key files of a production host or of a devnet that is not up: config
        # check must judge the config alone, never open them.
        keys = re.findall(r"(?:keystore|password_file|raw_file): \"?([^\"\n]+)", example.read_text())
        check.ok(keys and not any(Path(k).exists() for k in keys),
                 f"{example.name} names {len(keys)} key files, none present here, and still passes")
    # One field of a valid example changed: refused with its reason and field path.
    text = (INSTALL_ROOT / "share/causeway/examples/production.yaml").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        mutated = Path(tmp) / "mutated.yaml"
        mutated.write_text(text.replace("threshold: 2", "threshold: 0", 1))
        result = run([installed, "config", "check", mutated])
        check.ok(result.returncode == 2 and "config.bad_field: chains[0].threshold" in result.stderr,
                 "a mutated example (threshold 0) is refused naming the field", result.stdout + result.stderr)


# --- parse ------------------------------------------------------------------------------------

def deploy_files(suffixes):
    for path in sorted(DEPLOY.rglob("*")):
        parts = path.relative_to(DEPLOY).parts
        if "node_modules" in parts or parts[:2] == ("devnet", "state") or not path.is_file():
            continue
        # Helm templates are Go templates that render to YAML, not YAML themselves.
        if parts[:3] == ("helm", "causeway", "templates"):
            continue
        if path.suffix in suffixes:
            yield path


def check_parse(check):
    count = 0
    for path in deploy_files({".yaml", ".yml", ".json"}):
        label = str(path.relative_to(SOURCE))
        try:
            if path.suffix == ".json":
                json.loads(path.read_text())
            else:
                documents = list(yaml.safe_load_all(path.read_text()))
                if not documents or documents == [None]:
                    raise ValueError("empty document")
        except (ValueError, yaml.YAMLError) as error:
            check.ok(False, f"{label} parses", str(error))
        check.ok(True, f"{label} parses")
        count += 1
    check.ok(count >= 15, f"{count} files found under deploy/")
    try:
        yaml.safe_load("a: [1, 2\nb: 3\n")
        parser_rejects = False
    except yaml.YAMLError:
        parser_rejects = True
    check.ok(parser_rejects, "the YAML parser rejects an unclosed flow sequence")


# --- helm -------------------------------------------------------------------------------------

def helm_merge(base, override):
    """Helm's coalescing of a values file over another: maps merge key by key, a null deletes the
    key, anything else (lists included) replaces."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def rendered_values(*files):
    values = {}
    for path in files:
        values = helm_merge(values, yaml.safe_load(path.read_text()))
    return values


def check_rendered_config(check, config, label, tmp):
    # The ConfigMap holds toYaml of the subtree; the relay reads YAML and JSON by one rule, so both
    # renderings must pass.
    as_json = Path(tmp) / f"{label}.json"
    as_yaml = Path(tmp) / f"{label}.yaml"
    as_json.write_text(json.dumps(config, indent=2))
    as_yaml.write_text(yaml.safe_dump(config, sort_keys=False))
    check_config(check, as_json, f"{label} (config: as JSON)")
    check_config(check, as_yaml, f"{label} (config: as YAML)")
    if NODE:
        result = run([NODE, DEPLOY / "devnet/schema-check.mjs", SOURCE / "schemas/config.schema.json", as_json])
        check.ok(result.returncode == 0, f"{label} config: validates against schemas/config.schema.json",
                 result.stdout + result.stderr)
    listen = config["relay"].get("listen", "127.0.0.1:9464")
    check.ok(not listen.startswith("127."), f"{label} relay.listen {listen} is reachable from outside the pod")


def check_helm(check):
    chart = DEPLOY / "helm/causeway"
    orgs = DEPLOY / "helm/examples/three-orgs"
    if not NODE:
        print("note: node not found; the JSON Schema half of this check is skipped, config check still runs")
    with tempfile.TemporaryDirectory() as tmp:
        defaults = rendered_values(chart / "values.yaml")
        check_rendered_config(check, defaults["config"], "values.yaml", tmp)

        configs = {}
        for org in ("org-a", "org-b", "org-c"):
            values = rendered_values(chart / "values.yaml", orgs / "common.yaml", orgs / f"{org}.yaml")
            check_rendered_config(check, values["config"], org, tmp)
            configs[org] = values
            check.ok(all(c["threshold"] == 2 for c in values["config"]["chains"]),
                     f"{org}: every gateway expects 2 votes")
            check.ok(all(values["secrets"][k] for k in ("keystores", "passwords", "rawKeys", "apiToken")),
                     f"{org}: names its keystore, password, raw-key and API-token Secrets")
        for part in ("chains", "lanes"):
            check.ok(configs["org-a"]["config"][part] == configs["org-b"]["config"][part] == configs["org-c"]["config"][part],
                     f"the three organisations share the same {part}")
        secret_sets = [tuple(sorted(configs[o]["secrets"].values())) for o in configs]
        check.ok(len(set(secret_sets)) == 3 and len(set(sum(secret_sets, ()))) == 12,
                 "each organisation's keys come from Secrets of its own")
        check.ok("password_file" not in configs["org-c"]["config"]["relay"]["vote_key"],
                 "org-c's null removed the common vote password file")

        # Without Helm's null deletion org-c would name two password sources: refused.
        org_c = yaml.safe_load((orgs / "org-c.yaml").read_text())
        org_c["config"]["relay"]["vote_key"].pop("password_file")
        merged = helm_merge(rendered_values(chart / "values.yaml", orgs / "common.yaml"), org_c)
        bad = Path(tmp) / "org-c-without-null.json"
        bad.write_text(json.dumps(merged["config"]))
        result = run([CAUSEWAY, "config", "check", bad])
        check.ok(result.returncode == 2 and "config.bad_field: relay.vote_key" in result.stderr,
                 "org-c without its null names two password sources and is refused", result.stderr)

    # What the templates promise (no Helm here to render them).
    templates = "".join(p.read_text() for p in sorted((chart / "templates").iterdir()))
    for needle in ("runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
                   'drop: ["ALL"]', "type: RuntimeDefault", "path: /healthz", "path: /readyz",
                   "kind: StatefulSet", "volumeClaimTemplates:", "kind: PodDisruptionBudget",
                   "kind: ServiceMonitor", "kind: ConfigMap", "toYaml .Values.config", "secretName:"):
        check.ok(needle in templates, f"chart templates contain {needle!r}")
    check.ok(defaults["resources"]["limits"]["memory"] in ("512Mi", "768Mi", "1Gi", "2Gi"),
             "memory limit leaves room for a 256 MiB scrypt unlock")
    readme = (chart / "README.md").read_text()
    for key in defaults:
        check.ok(f"`{key}" in readme, f"chart README documents values key {key}")


# --- alerts -----------------------------------------------------------------------------------

def check_alerts(check):
    promtool = shutil.which("promtool")
    if not promtool:
        check.skip("promtool not found (Debian package prometheus; deploy/scripts/install-deps.sh installs it)")
    rules = DEPLOY / "prometheus/causeway-alerts.yml"
    result = run([promtool, "check", "rules", rules])
    check.ok(result.returncode == 0, "promtool check rules causeway-alerts.yml", result.stdout + result.stderr)
    result = run([promtool, "test", "rules", DEPLOY / "prometheus/causeway-alerts.test.yml"])
    check.ok(result.returncode == 0, "promtool test rules causeway-alerts.test.yml", result.stdout + result.stderr)
    alerts = {r["alert"] for g in yaml.safe_load(rules.read_text())["groups"] for r in g["rules"]}
    for wanted in ("CausewayLaneHalted", "CausewayBacklogGrowing", "CausewayBundlesRejected",
                   "CausewayFinalityViolation", "CausewayEndpointConflict", "CausewaySingleOperatorMode",
                   "CausewayInsecureTrust", "CausewayGasBalanceLow", "CausewayCheckpointStale",
                   "CausewayTrustedCheckpointStale", "CausewayLeaseRenewFailing",
                   "CausewayCheckpointNotWitnessed", "CausewayRelayDown", "CausewayRelayNotReady"):
        check.ok(wanted in alerts, f"alert {wanted} defined")
    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "broken.yml"
        broken.write_text(rules.read_text().replace("expr: causeway_lane_halted == 1", "expr: causeway_lane_halted ==", 1))
        result = run([promtool, "check", "rules", broken])
        check.ok(result.returncode != 0, "promtool rejects a rule with a broken expression")


# --- systemd ----------------------------------------------------------------------------------

def systemd_verify(unit, manpath):
    # verify prints and ignores what it cannot parse: any output at all is a failure.
    result = run(["systemd-analyze", "verify", unit], env={**os.environ, "MANPATH": str(manpath)})
    return result.returncode, (result.stdout + result.stderr).strip()


def check_systemd(check):
    if not shutil.which("systemd-analyze"):
        check.skip("systemd-analyze not found (Debian package systemd)")
    unit = INSTALL_ROOT / "lib/systemd/system/causeway.service"
    check.ok(unit.is_file(), "the installed unit exists (deploy.install ran)")
    manpath = INSTALL_ROOT / "share/man"
    code, output = systemd_verify(unit, manpath)
    check.ok(code == 0 and output == "", "systemd-analyze verify on the installed unit says nothing", output)
    text = unit.read_text()
    for needle in ("ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                   "User=causeway", "StateDirectory=causeway", "ConfigurationDirectory=causeway",
                   "LoadCredential=", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                   "MemoryDenyWriteExecute=yes", "LockPersonality=yes", "Restart=on-failure",
                   "TimeoutStopSec=", "ExecStartPre=" + str(INSTALL_ROOT / "bin/causeway") + " config check"):
        check.ok(needle in text, f"unit has {needle}")
    with tempfile.TemporaryDirectory() as tmp:
        mutated = Path(tmp) / "causeway.service"
        mutated.write_text(text.replace("ProtectSystem=strict", "ProtectSystem=stricter"))
        code, output = systemd_verify(mutated, manpath)
        check.ok("ProtectSystem" in output or "protect system" in output.lower(),
                 "systemd-analyze complains about a mutated unit (ProtectSystem=stricter)", output)


# --- metrics ----------------------------------------------------------------------------------

def declared_families():
    result = run([CAUSEWAY, "metrics"])
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def unknown_metrics(expressions, families):
    """The causeway_* names in the expressions that are no declared family; a histogram's
    _bucket, _sum and _count series count as their family."""
    unknown = set()
    for expr in expressions:
        for name in re.findall(r"\bcauseway_[a-z0-9_]+", expr):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in families and families.get(base) != "histogram":
                unknown.add(name)
    return unknown


def dashboard_expressions(dashboard):
    exprs = []
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "definition") and isinstance(value, str):
                    exprs.append(value)
                elif key == "query" and isinstance(value, (str, dict)):
                    exprs.append(value if isinstance(value, str) else value.get("query", ""))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(dashboard)
    return exprs


def check_metrics(check):
    families = declared_families()
    check.ok(len(families) >= 30 and all(t in ("counter", "gauge", "histogram") for t in families.values()),
             f"causeway metrics lists {len(families)} families with their types")
    check.ok("causeway_http_requests_total" in families, "the HTTP server's families are listed")
    dashboard = json.loads((DEPLOY / "grafana/causeway-dashboard.json").read_text())
    dash_exprs = dashboard_expressions(dashboard)
    check.ok(len(dash_exprs) >= 30, f"{len(dash_exprs)} queries in the dashboard")
    missing = unknown_metrics(dash_exprs, families)
    check.ok(not missing, "every metric the dashboard queries is declared", str(sorted(missing)))
    alerts = yaml.safe_load((DEPLOY / "prometheus/causeway-alerts.yml").read_text())
    alert_exprs = [r["expr"] for g in alerts["groups"] for r in g["rules"]]
    missing = unknown_metrics(alert_exprs, families)
    check.ok(not missing, "every metric the alert rules use is declared", str(sorted(missing)))
    others = {n for e in alert_exprs for n in re.findall(r"\b([a-z_]+)\{", e) if not n.startswith("causeway_")}
    check.ok(others <= {"up"}, "no alert uses a metric other than the relay's and Prometheus's up", str(others))
    used = {re.sub(r"_(bucket|sum|count)$", "", n) for e in dash_exprs for n in re.findall(r"\bcauseway_[a-z0-9_]+", e)}
    unshown = sorted(set(families) - used)
    check.ok(not unshown, "the dashboard shows every declared family", str(unshown))
    check.ok(unknown_metrics(["rate(causeway_no_such_thing_total[5m])", "causeway_chain_head_bucket"], families)
             == {"causeway_no_such_thing_total", "causeway_chain_head_bucket"},
             "an undeclared name, and _bucket of a gauge, are caught")


# --- image ------------------------------------------------------------------------------------

def runtime_packages(dockerfile):
    stage = dockerfile.split("\nFROM debian:12-slim", 1)
    if len(stage) != 2:
        return None
    install = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", stage[1], re.S)
    return set(re.findall(r"[a-z0-9][a-z0-9.+-]+", install.group(1).replace("\\", " "))) if install else None


def package_of(path):
    """The Debian package owning a library path; dpkg records /lib paths that merged-/usr systems
    resolve under /usr/lib, so both spellings are tried."""
    real = os.path.realpath(path)
    for candidate in (path, real, re.sub(r"^/usr/", "/", real)):
        owner = run(["dpkg-query", "-S", candidate]).stdout.split(":")[0]
        if owner:
            return owner
    return ""


def check_image(check):
    dockerfile = (DEPLOY / "docker/Dockerfile").read_text()
    for needle in ("FROM debian:12 AS build", "\nFROM debian:12-slim", "CAUSEWAY_BUILD_TESTS=OFF",
                   "CAUSEWAY_WITH_CONTRACTS=OFF", "cmake --install", "USER 10001:10001", "EXPOSE 9464",
                   "HEALTHCHECK", 'VOLUME ["/var/lib/causeway"]', 'ENTRYPOINT ["/opt/causeway/bin/causeway"]',
                   'CMD ["relay", "--config", "/etc/causeway/relay.yaml"]', "--uid 10001"):
        check.ok(needle in dockerfile, f"Dockerfile has {needle.strip()!r}")
    ignore = (SOURCE / ".dockerignore").read_text().split()
    for needle in ("build/", "**/node_modules", "deploy/devnet/state/", ".git"):
        check.ok(needle in ignore, f".dockerignore excludes {needle}")
    packages = runtime_packages(dockerfile)
    check.ok(packages, "runtime stage installs packages", str(packages))
    if not shutil.which("dpkg-query") or not shutil.which("readelf"):
        print("note: dpkg or readelf missing; the package list is not compared with the binary")
        return
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", run(["readelf", "-d", CAUSEWAY]).stdout)
    check.ok(len(needed) >= 5, f"causeway links {len(needed)} shared libraries")
    cache = run(["ldconfig", "-p"]).stdout
    base = {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:12-slim already
    owners = set()
    for library in needed:
        match = re.search(rf"^\s*{re.escape(library)} \(.*x86-64.*\) => (\S+)$", cache, re.M) or \
            re.search(rf"^\s*{re.escape(library)} .* => (\S+)$", cache, re.M)
        check.ok(match, f"{library} is on this machine")
        owner = package_of(match.group(1))
        owners.add(owner)
        check.ok(owner in packages or owner in base, f"{library} comes from {owner}, which the runtime stage installs")
    extra = packages - owners - {"ca-certificates"}
    check.ok(not extra, "the runtime stage installs no package the binary does not link", str(extra))


# --- compose ----------------------------------------------------------------------------------

def check_compose(check):
    compose_dir = DEPLOY / "compose"
    compose = yaml.safe_load((compose_dir / "compose.yaml").read_text())
    services = compose["services"]
    for name in ("chain-a", "chain-b", "deploy", "relay-config", "relay", "prometheus", "grafana"):
        check.ok(name in services, f"service {name}")
    for name, service in services.items():
        image = service.get("image", "")
        check.ok(re.search(r":[A-Za-z0-9][\w.-]*$", image) and not image.endswith(":latest"),
                 f"{name} image {image} is pinned by tag")
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                check.ok((compose_dir / source).exists(), f"{name} mounts {source}, which exists")
    check.ok(services["relay-config"]["build"]["dockerfile"] == "deploy/docker/Dockerfile"
             and services["relay"]["image"] == services["relay-config"]["image"],
             "the relay image is built from deploy/docker/Dockerfile")
    prometheus = yaml.safe_load((compose_dir / "prometheus.yml").read_text())
    check.ok(prometheus["rule_files"] == ["/etc/prometheus/rules/causeway-alerts.yml"], "Prometheus loads the alert rules")
    docker_compose = shutil.which("docker-compose")
    if not docker_compose:
        print("note: docker-compose (Debian package docker-compose) not found; its schema check is skipped")
        return
    # Debian's docker-compose 1.29 predates the Compose specification's top-level `name`.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "compose.yaml"
        copy.write_text(re.sub(r"(?m)^name: .*\n", "", (compose_dir / "compose.yaml").read_text()))
        result = run([docker_compose, "--project-directory", compose_dir, "-f", copy, "config", "-q"])
        check.ok(result.returncode == 0, "docker-compose config accepts compose.yaml", result.stdout + result.stderr)
        copy.write_text(copy.read_text().replace("condition: service_completed_successfully",
                                                 "condition: service_finished", 1))
        result = run([docker_compose, "--project-directory", compose_dir, "-f", copy, "config", "-q"])
        check.ok(result.returncode != 0, "docker-compose config rejects an unknown depends_on condition")


# --- healthcheck ------------------------------------------------------------------------------

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check_healthcheck(check):
    script = DEPLOY / "docker/healthcheck.sh"
    with tempfile.TemporaryDirectory() as tmp:
        served = Path(tmp)
        (served / "healthz").write_text('{"status":"ok"}')
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 lambda *a: Quiet(*a, directory=str(served)))
        port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        env = {**os.environ, "CAUSEWAY_HEALTH_PORT": str(port)}
        try:
            result = run(["bash", script], env=env, timeout=20)
            check.ok(result.returncode == 0, "health check passes on 200 from /healthz", result.stderr)
            (served / "healthz").unlink()
            result = run(["bash", script], env=env, timeout=20)
            check.ok(result.returncode == 1 and "404" in result.stderr, "health check fails on 404", result.stderr)
        finally:
            server.shutdown()
            server.server_close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        result = run(["bash", script], env={**os.environ, "CAUSEWAY_HEALTH_PORT": str(free)}, timeout=20)
        check.ok(result.returncode == 1, "health check fails when nothing listens", result.stderr)


# --- manpage ----------------------------------------------------------------------------------

def check_manpage(check):
    page = DEPLOY / "man/causeway.1"
    text = page.read_text()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "FILES", "EXIT STATUS", "SIGNALS", "EXAMPLES"):
        check.ok(f".SH {section}\n" in text, f"man page has section {section}")
    help_text = run([CAUSEWAY, "--help"]).stdout
    commands = re.findall(r"^  ([a-z-]+) {2,}", help_text.split("Subcommands:", 1)[1], re.M)
    check.ok(len(commands) >= 5, f"causeway --help lists {len(commands)} subcommands")
    for command in commands + ["metrics"]:
        check.ok(re.search(rf"^\.B(I)? \"?{command}\b", text, re.M) or f".B causeway {command}" in text,
                 f"man page documents `causeway {command}`")
    if not shutil.which("groff"):
        check.skip("groff not found (Debian package groff-base) after the content checks passed")
    result = run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
    check.ok(result.returncode == 0 and result.stderr == "", "groff renders it without a warning", result.stderr)


# --- runbooks ---------------------------------------------------------------------------------

RUNBOOKS = ("key-rotation", "failover", "incident-pause", "backup-restore", "gateway-upgrade")


def runbook_commands(text):
    """Every `causeway ...` command of a runbook: lines of fenced blocks and inline code spans,
    backslash continuations joined, shell substitutions and trailing comments left out."""
    commands = []
    in_block = False
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            pending += stripped.rstrip("\\") + " "
            if stripped.endswith("\\"):
                continue
            candidate, pending = pending.strip(), ""
            for part in re.split(r"\s*(?:&&|\|\||;)\s*", candidate):
                part = re.sub(r"^sudo(?: -u \S+)? ", "", part)
                if part.startswith("causeway "):
                    commands.append(part)
        else:
            commands += [c for c in re.findall(r"`(causeway [^`]+)`", line)]
    commands = [re.sub(r"\$\([^)]*\)", "X", c) for c in commands]
    return [re.sub(r"\s+#.*$", "", c).replace("...", "").strip() for c in commands]


def subcommands_of(help_text):
    if "Subcommands:" not in help_text:
        return set()
    return set(re.findall(r"^  ([a-z][a-z-]*) {2,}", help_text.split("Subcommands:", 1)[1], re.M))


def command_path(words):
    """The longest prefix of `words` that is a subcommand path, and the help text of it."""
    path = []
    help_text = run([CAUSEWAY, "--help"]).stdout
    for word in words:
        if word not in subcommands_of(help_text):
            break
        path.append(word)
        result = run([CAUSEWAY, *path, "--help"])
        if result.returncode != 0:
            return path, None
        help_text = result.stdout
    return path, help_text


def check_runbooks(check):
    seen = 0
    for name in RUNBOOKS:
        book = DEPLOY / "runbooks" / f"{name}.md"
        check.ok(book.is_file(), f"runbook {name}.md exists")
        for command in runbook_commands(book.read_text()):
            words = command.split()[1:]
            path, help_text = command_path(words)
            check.ok(path and help_text is not None, f"{name}: `causeway {' '.join(path)} --help` exits 0 ({command})")
            options = {w.split("=", 1)[0] for w in words if w.startswith("-")}
            unknown = sorted(o for o in options if not re.search(rf"(^|[\s,]){re.escape(o)}\b", help_text, re.M))
            check.ok(not unknown, f"{name}: every option of `{command}` is in its --help", str(unknown))
            seen += 1
    check.ok(seen >= 20, f"{seen} command lines checked")
    # The check itself must catch a command or option that does not exist.
    check.ok(command_path(["store", "frobnicate"])[0] == ["store"], "an unknown subcommand stops the path")
    _, help_text = command_path(["store", "backup"])
    check.ok(not re.search(r"(^|[\s,])--no-such-option\b", help_text, re.M), "an unknown option is not in a --help")


CHECKS = {
    "install": check_install, "parse": check_parse, "helm": check_helm, "alerts": check_alerts,
    "systemd": check_systemd, "metrics": check_metrics, "image": check_image, "compose": check_compose,
    "healthcheck": check_healthcheck, "manpage": check_manpage, "runbooks": check_runbooks,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        print(f"usage: {sys.argv[0]} {'|'.join(CHECKS)}", file=sys.stderr)
        sys.exit(2)
    current = Check(sys.argv[1])
    CHECKS[sys.argv[1]](current)
    current.done()
