"""The deploy files as an operator uses them, checked without starting the cluster.

These run in every pass (no cluster marker): the nginx site renders and nginx
accepts it, the documented envsubst command renders the same text, every
setting is in the environment template, and the cluster script never ends a
process it did not start.
"""

import re
import shutil
import subprocess
import sys
import time

from tests.cluster.cluster import ROOT, Cluster, local_cluster

SITE_VALUES = {
    "HELPLINE_SERVER_NAME": "helpline.example.vn",
    "HELPLINE_LISTEN": "127.0.0.1:8443",
    "HELPLINE_TLS_INCLUDE": "TLS_INCLUDE",
    "HELPLINE_UPSTREAM_SERVERS": "server unix:/run/helpline/web-1.sock; "
    "server unix:/run/helpline/web-2.sock;",
    "HELPLINE_STATIC_ROOT": "/srv/helpline/static",
    "HELPLINE_ERROR_LOG": "ERROR_LOG",
}


def rendered_site(tmp_path) -> str:
    (tmp_path / "no-tls.conf").write_text("\n")
    values = {
        **SITE_VALUES,
        "HELPLINE_TLS_INCLUDE": str(tmp_path / "no-tls.conf"),
        "HELPLINE_ERROR_LOG": str(tmp_path / "error.log"),
    }
    return local_cluster.render_site(**values)


def test_it_renders_an_nginx_site_that_nginx_accepts(tmp_path):
    site = rendered_site(tmp_path)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path / 'error.log'};\npid {tmp_path / 'nginx.pid'};\n"
        "events {}\nhttp {\n    include /etc/nginx/mime.types;\n"
        f"    include {tmp_path / 'site.conf'};\n}}\n"
    )

    prefix = ["-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run(
        ["nginx", "-t", *prefix, "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stderr
    assert local_cluster.PLACEHOLDER.search(site) is None
    # nginx's own variables are left for nginx.
    for variable in ("$http_upgrade", "$http_host", "$remote_addr", "$scheme"):
        assert variable in site


def test_it_keeps_no_access_log_and_refuses_metrics_on_the_site(tmp_path):
    site = rendered_site(tmp_path)

    assert re.findall(r"^\s*access_log\s+([^;]+);", site, re.M) == ["off"]
    assert re.search(r"location = /metrics \{\s*return 404;", site)
    # The client's address is replaced, never appended to what the client sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "$proxy_add_x_forwarded_for" not in site
    for path in ("/chat/", "/help/", "/ws/chat/"):
        block = re.search(rf"location {re.escape(path)} \{{([^}}]*)\}}", site).group(1)
        assert "crit;" in block, path


def test_it_renders_the_same_site_with_the_documented_envsubst_command(tmp_path):
    envsubst = shutil.which("envsubst")
    assert envsubst, "envsubst (gettext) is needed to render the site as the docs say"
    template = (ROOT / "deploy/nginx/helpline.conf.template").read_text()
    names = sorted(set(local_cluster.PLACEHOLDER.findall(template)))
    documented = (ROOT / "docs/operations.md").read_text()
    shell_format = " ".join(f"${{{name}}}" for name in names)
    assert shell_format in documented

    rendered = subprocess.run(
        [envsubst, shell_format], input=template, env=SITE_VALUES, capture_output=True, text=True
    ).stdout

    assert rendered == local_cluster.render_site(**SITE_VALUES)


def test_it_documents_every_setting_in_the_environment_template():
    settings = (ROOT / "config/settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z0-9_]+)"', settings))
    read |= set(re.findall(r'_docx_lines\(\s*"([A-Z0-9_]+)"', settings))
    template = (ROOT / "deploy/helpline.env.example").read_text()
    named = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", template))

    assert len(read) > 60
    assert read - named == set()


def test_it_runs_the_web_workers_as_the_docs_say():
    unit = (ROOT / "deploy/systemd/helpline-web@.service").read_text()

    # A listen queue of 1,024, not Twisted's 50: a reconnect storm waits instead of a 502.
    assert re.search(
        r"^ExecStart=\S+/python -m config\.serve -e unix:/run/helpline/web-%i\.sock:backlog=1024 "
        r"--proxy-headers$",
        unit,
        re.M,
    )
    documented = "config.serve -e unix:/run/helpline/web-1.sock:backlog=1024 --proxy-headers"
    assert documented in (ROOT / "docs/operations.md").read_text()


def test_it_gives_postgresql_the_same_settings_everywhere_it_starts_it():
    settings = local_cluster.postgres_settings()
    compose = (ROOT / "deploy/docker-compose.yml").read_text()
    command = re.search(r"^    command: \[\"postgres\", (.*)\]$", compose, re.M).group(1)
    options = re.findall(r'"-c", "([a-z_]+)=([^"]+)"', command)

    assert settings["random_page_cost"] == "1.1"
    assert dict(options) == settings
    assert len(options) == command.count('"-c"')
    assert "deploy/postgresql/helpline.conf" in (ROOT / "docs/operations.md").read_text()


def test_it_never_ends_a_process_it_did_not_start(tmp_path):
    """A recorded pid whose start time differs is someone else's process now."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cluster = Cluster(tmp_path)
        cluster.state = {
            "runtime": str(tmp_path / "runtime"),
            "processes": {
                "web-1": {"pid": stranger.pid, "start_time": "1"},
                "web-2": {"pid": ours.pid, "start_time": local_cluster.start_time(ours.pid)},
            },
        }
        cluster.save()

        ended = Cluster(tmp_path).stop()

        assert ended == ["web-2"]
        assert ours.wait(timeout=10) is not None
        time.sleep(0.2)
        assert stranger.poll() is None
        assert not (tmp_path / "state.json").exists()
    finally:
        stranger.kill()
        ours.kill()
        stranger.wait()
        ours.wait()
