"""The Ingress pane (6) driven by keys: entry points, the route table, the route tester, the jump to
a Service's trace, 80x24, and hostile strings. Runs on a copy of the bundled lab snapshot with the
lab's External Access objects (Listener, Mapping /web/, Ingress /engine, emissary-ingress) added."""

from __future__ import annotations

import json
import shutil

import pytest
from textual.geometry import Region
from textual.widgets import ContentSwitcher, Input, Static

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.screens.ingress import IngressPane
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_text

NODE_IP = "172.31.24.84"
HOSTILE = "[bold red]x[/] [link=http://e]y [ \x1b[31mz \x1b]8;;http://e\x1b\\w\x1b]8;;\x1b\\ \r \u202e \u200b"


def _svc(ns, name, ports, type_="ClusterIP", cluster_ip="10.96.5.5", labels=None):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-svc-{ns}-{name}", "labels": labels or {}},
            "spec": {"type": type_, "clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "selector": {"app": name},
                     "ports": ports},
            "status": {"loadBalancer": {}}}


def _slice(ns, service, ips, port, port_name=""):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{service}-xyz", "namespace": ns, "uid": f"uid-es-{ns}-{service}",
                         "labels": {"kubernetes.io/service-name": service}},
            "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}, "nodeName": "ip-172-31-24-84",
                           "targetRef": {"kind": "Pod", "namespace": ns, "name": f"{service}-pod-{i}"}}
                          for i, ip in enumerate(ips)]}


def _pod(ns, name, ip, app):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-pod-{ns}-{name}", "labels": {"app": app}},
            "spec": {"nodeName": "ip-172-31-24-84", "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def _ingress(name, path, service, uid):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "default", "uid": uid,
                         "annotations": {"kubernetes.io/ingress.class": "ambassador"}},
            "spec": {"ingressClassName": "ambassador", "rules": [{"http": {"paths": [
                {"path": path, "pathType": "Prefix",
                 "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}}


def lab_ingress_objects():
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "emissary", "uid": "uid-ns-emissary"}},
        _svc("emissary", "emissary-ingress", [
            {"name": "http", "port": 80, "targetPort": 8080, "nodePort": 31211, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 31361, "protocol": "TCP"},
        ], "LoadBalancer", "10.107.25.56", labels={"app.kubernetes.io/name": "emissary-ingress"}),
        _slice("emissary", "emissary-ingress", ["10.0.0.3"], 8080, "http"),
        _pod("emissary", "emissary-ingress-pod-0", "10.0.0.3", "emissary-ingress"),
        _svc("default", "engine", [{"port": 80, "targetPort": 80, "protocol": "TCP"}], cluster_ip="10.96.1.2"),
        _slice("default", "engine", ["10.0.0.7"], 80),
        _pod("default", "engine-pod-0", "10.0.0.7", "engine"),
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": "ambassador", "uid": "uid-ic-ambassador"},
         "spec": {"controller": "getambassador.io/ingress-controller"}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Listener",
         "metadata": {"name": "emissary-ingress-listener", "namespace": "emissary", "uid": "uid-listener"},
         "spec": {"port": 80, "protocol": "HTTP", "securityModel": "XFP",
                  "hostBinding": {"namespace": {"from": "ALL"}}}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping",
         "metadata": {"name": "website", "namespace": "default", "uid": "uid-mapping-website"},
         "spec": {"hostname": "*", "prefix": "/web/", "service": "website"}},
        _ingress("web-ingress", "/engine", "engine", "uid-ing-web"),
    ]


def hostile_objects():
    name = "evil" + HOSTILE
    return [
        _svc("default", name, [{"port": 80, "targetPort": 80, "protocol": "TCP"}], cluster_ip="10.96.9.9"),
        _ingress("evil-ingress", "/i" + HOSTILE, name, "uid-ing-evil"),
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping",
         "metadata": {"name": "evil-mapping", "namespace": "default", "uid": "uid-mapping-evil"},
         "spec": {"hostname": "*", "prefix": "/m" + HOSTILE, "service": "engine"}},
    ]


@pytest.fixture
def ingress_app(make_lab_app, tmp_path):
    def build(extra=()):
        snap = tmp_path / "snap"
        shutil.copytree(LAB_PRINTED, snap)
        items = lab_ingress_objects() + list(extra)
        (snap / "api" / "zz-ingress-lab.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": items}))
        return make_lab_app(snapshot=str(snap))
    return build


def pane_of(app) -> IngressPane:
    return app.query_one(IngressPane)


def current(app) -> str:
    return app.query_one(ContentSwitcher).current.removeprefix("pane-")


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_pane(app, pilot):
    await pilot.pause()
    await pilot.press("6")
    await settle(app, pilot)
    assert current(app) == "ingress"
    return pane_of(app)


async def test_entry_points_list_the_node_ports(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        assert pane.current_view == "entries"
        text = pane.entries_table.plain_text()
        lines = text.splitlines()
        assert any(line.startswith("NodePort\temissary/emissary-ingress\t80:31211/TCP") and f"{NODE_IP}:31211" in line
                   for line in lines), text
        assert any(line.startswith("NodePort\temissary/emissary-ingress\t443:31361/TCP") for line in lines)
        assert any(line.startswith("NodePort\tdefault/website\t80:31100/TCP") and f"{NODE_IP}:31100" in line
                   for line in lines), text
        assert any(line.startswith("IngressController\tambassador") for line in lines)
        assert any(line.startswith("Listener\temissary/emissary-ingress-listener\t80") for line in lines)
        assert any(line.startswith("LoadBalancer\temissary/emissary-ingress") and "pending" in line for line in lines)


async def test_route_table_lists_the_mapping_and_the_ingress_rule(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        assert pane.current_view == "routes"
        rows = pane.routes_table.plain_text().splitlines()[1:]
        mapping = next(r.split("\t") for r in rows if r.startswith("Mapping"))
        ingress = next(r.split("\t") for r in rows if r.startswith("Ingress"))
        # the name is drawn name first (`website (default)`): at 80 columns its end is cut
        assert mapping[1:8] == ["website (default)", "*", "/web/ prefix", "/", "default/website:80", "3 ready", "✓ ok"]
        assert ingress[1] == "web-ingress (default)" and ingress[9] == "rules[0].http.paths[0]"
        assert ingress[3:8] == ["/engine Prefix", "/ (Emissary default)", "default/engine:80", "1 ready", "✓ ok"]
        assert "class ambassador" in ingress[8]
        # the filter narrows the route table
        await pilot.press("slash", *"engine")
        await pilot.pause()
        rows = pane.routes_table.plain_text().splitlines()[1:]
        assert [r.split("\t")[0] for r in rows] == ["Ingress"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(pane.routes_table.plain_text().splitlines()) == 3


async def test_route_table_health_names_the_problem(ingress_app):
    broken = _ingress("dangling", "/gone", "nosuchservice", "uid-ing-dangling")
    app = ingress_app([broken])
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        row = next(r.split("\t") for r in pane.routes_table.plain_text().splitlines() if "dangling" in r)
        assert row[6] == "✗ no service"
        assert row[7].startswith("✗ ") and "unknown service" in row[7]
        await pilot.press("f")
        await pilot.pause()
        findings = pane.plain_text().split("== Findings ==", 1)[1].splitlines()
        assert any(line.startswith("✗ ERROR   Ingress default/dangling: Service default/nosuchservice does not exist")
                   for line in findings), findings


async def run_url(app, pilot, url: str) -> str:
    pane = pane_of(app)
    await pilot.press("t")
    await pilot.pause()
    box = app.query_one("#ing-url", Input)
    assert box.has_focus
    box.value = ""
    await pilot.press(*url, "enter")
    await settle(app, pilot)
    assert pane.current_view == "result"
    return pane.result_text.plain


@pytest.mark.parametrize(
    ("path", "status", "rule", "upstream", "service"),
    [
        ("/web/", "✓ routed", "Mapping default/website", "/", "default/website:80"),
        ("/web", "✗ 404 no route", None, None, None),
        ("/engine/", "✓ routed", "Ingress default/web-ingress", "//", "default/engine:80"),
        ("/enginex", "✓ routed", "Ingress default/web-ingress", "/x", "default/engine:80"),
    ],
)
async def test_route_tester_on_the_lab_paths(ingress_app, path, status, rule, upstream, service):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(app, pilot)
        text = await run_url(app, pilot, f"http://{NODE_IP}:31211{path}")
        lines = text.splitlines()
        assert lines[0] == f"URL       http://{NODE_IP}:31211{path}"
        assert "Entry     emissary/emissary-ingress:80" in lines
        assert any(line.startswith(f"Status    {status}  ") for line in lines), text
        if rule is None:
            assert "Rule      none matched (see why each candidate lost below)" in lines
            assert not any(line.startswith("  yes ") for line in lines)
            assert any(line.startswith("  no  Mapping default/website — ") and "does not start with /web/" in line
                       for line in lines), text
        else:
            assert any(line.startswith(f"Rule      {rule}") for line in lines), text
            assert f"Upstream  the pod receives the path {upstream}" in lines
            assert any(line.startswith(f"Service   {service}") for line in lines)
            assert any(line.startswith(f"  yes {rule} — ") and "wins: " in line for line in lines), text
            assert any(line.startswith("  no  ") for line in lines)  # the other rule, with why it lost
        spec_departure = any("[spec-departure]" in line and line.strip().startswith("! WARNING") for line in lines)
        assert spec_departure == (path == "/enginex")


async def test_tester_shows_endpoints_and_pods(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(app, pilot)
        text = await run_url(app, pilot, f"http://{NODE_IP}:31211/engine/")
        assert "Endpoints 10.0.0.7:80" in text.splitlines()
        assert "Pods      default/engine-pod-0" in text.splitlines()
        assert "//" in text and "[ingress-rewrite]" in text


async def test_bare_path_goes_to_the_controller_node_port(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(app, pilot)
        text = await run_url(app, pilot, "/web/")
        assert text.splitlines()[0] == f"URL       http://{NODE_IP}:31211/web/"
        assert "(you typed /web/)" in text
        assert "Upstream  the pod receives the path /" in text.splitlines()


@pytest.mark.parametrize(("url", "part"), [
    (f"http://{NODE_IP}:99999/web/", "port"),
    ("ftp://example/web/", "scheme"),
    ("http://bad_host!/x", "host"),
])
async def test_bad_url_names_the_wrong_part(ingress_app, url, part):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        text = await run_url(app, pilot, url)
        assert text.startswith("✗ cannot test this URL")
        assert f"wrong     the {part}" in text.splitlines()
        assert pane.result is None


async def test_entry_choice_routes_through_the_ingress_class(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        assert pane.entry_select.expanded
        shown = screen_text(app)  # the choices, as the open list shows them
        assert "IngressClass ambassador" in shown and "Listener" in shown
        await pilot.press("down", "enter")  # the first option after "auto"
        await pilot.pause()
        assert pane.entry_select.value == "IngressClass/ambassador"
        text = await run_url(app, pilot, "http://anything.example/engine")
        assert "Entry     emissary/emissary-ingress:80" in text.splitlines()
        assert "Rule      Ingress default/web-ingress" in "\n".join(text.splitlines())


async def test_route_command_fills_and_runs_the_tester(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert current(app) == "services"
        await pilot.press("colon", *f"route http://{NODE_IP}:31211/web/x", "enter")
        await settle(app, pilot)
        pane = pane_of(app)
        assert current(app) == "ingress"
        assert app.query_one("#ing-url", Input).value == f"http://{NODE_IP}:31211/web/x"
        assert "Upstream  the pod receives the path /x" in pane.result_text.plain.splitlines()


async def test_new_data_refreshes_the_last_test_in_place(ingress_app, tmp_path):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        text = await run_url(app, pilot, f"http://{NODE_IP}:31211/web/")
        assert "Rule      Mapping default/website" in text
        await pilot.press("escape", "r")
        await pilot.pause()
        # The Mapping is deleted: the session's data changes and the app's tick hands it over.
        snap = tmp_path / "snap"
        items = [o for o in lab_ingress_objects() if o["kind"] != "Mapping"]
        (snap / "api" / "zz-ingress-lab.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": items}))
        app.session.snapshot = load_snapshot(str(snap))
        app.session._version += 1
        app.refresh_data()
        await settle(app, pilot)
        assert pane.current_view == "routes"  # the refresh did not pull the user away
        routes = pane.routes_table.plain_text()
        assert [r.split("\t")[0] for r in routes.splitlines()[1:]] == ["Ingress"], routes
        assert pane.result is not None and pane.result.status == "no-route-404"
        assert "Status    ✗ 404 no route" in pane.result_text.plain


async def test_namespace_narrows_the_lists_not_the_tester(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await pilot.press("colon", *"ns emissary", "enter")
        await settle(app, pilot)
        assert pane.routes_table.plain_text().splitlines()[1:] == []  # both rules live in default
        names = {line.split("\t")[1] for line in pane.entries_table.plain_text().splitlines()[1:]}
        assert names == {"emissary/emissary-ingress", "ambassador", "emissary/emissary-ingress-listener"}
        text = await run_url(app, pilot, f"http://{NODE_IP}:31211/web/")
        assert "Rule      Mapping default/website" in text  # routing is cluster-wide


def _services_text(app) -> str:
    return app.query_one("#pane-services").plain_text()


async def test_enter_on_the_ingress_rule_opens_the_services_trace_and_esc_comes_back(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        assert pane.routes_table.has_focus
        rows = pane.routes_table.plain_text().splitlines()[1:]  # under the header
        ingress_row = next(i for i, r in enumerate(rows) if r.startswith("Ingress"))
        await pilot.press(*["down"] * ingress_row, "enter")
        await settle(app, pilot)
        assert current(app) == "services"
        assert "Trace default/engine" in _services_text(app)
        await pilot.press("escape")  # the trace was opened from Ingress: back there, not to the table
        await settle(app, pilot)
        assert current(app) == "ingress"
        await pilot.press("4")  # and the Services pane is at its table again
        await settle(app, pilot)
        assert "Trace default/engine" not in _services_text(app)


async def test_enter_on_the_test_result_opens_the_matched_service(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await run_url(app, pilot, f"http://{NODE_IP}:31211/web/")
        # After the test the keyboard has left the URL box: the result has it.
        assert pane.current_view == "result" and app.focused is app.query_one("#ing-view-result")
        await pilot.press("enter")
        await settle(app, pilot)
        assert current(app) == "services"
        assert "Trace default/website" in _services_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert current(app) == "ingress" and pane.current_view == "result"


async def test_after_a_route_test_the_number_keys_switch_panes(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        await run_url(app, pilot, f"http://{NODE_IP}:31211/web/")
        await pilot.press("4")
        await settle(app, pilot)
        assert current(app) == "services"
        assert app.query_one("#ing-url", Input).value == f"http://{NODE_IP}:31211/web/"  # nothing typed into it


async def test_usable_at_80x24(ingress_app):
    app = ingress_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        screen = Region(0, 0, 80, 24)
        for widget in (app.query_one("#ing-url"), app.query_one("#ing-entry"), app.query_one("#ing-tabs"),
                       pane.routes_table):
            assert widget.region.height > 0 and screen.contains_region(widget.region), widget
        assert pane.routes_table.region.height >= 5
        assert app.focused is pane.routes_table  # not the URL box: 1-6 still switch panes
        text = await run_url(app, pilot, f"http://{NODE_IP}:31211/enginex")
        assert "spec-departure" in text
        result = app.query_one("#ing-view-result")
        assert screen.contains_region(result.region) and result.region.height >= 8
        assert result.max_scroll_y > 0  # more than fits: it scrolls
        await pilot.press("end")  # the result has the keyboard after a test
        await pilot.pause()
        assert result.scroll_y > 0
        await pilot.press("r")
        await pilot.pause()
        assert pane.current_view == "routes" and app.focused is pane.routes_table
        await pilot.press("5")
        await pilot.pause()
        assert current(app) == "dns"


async def test_ctrl_s_text_has_routes_entries_and_result(ingress_app, tmp_path):
    app = ingress_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        await run_url(app, pilot, f"http://{NODE_IP}:31211/web/")
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
    txt = next(p for p in (tmp_path / "saved").iterdir() if p.suffix == ".txt").read_text()
    assert "Mapping\twebsite (default)" in txt and "NodePort\temissary/emissary-ingress\t80:31211/TCP" in txt
    assert "Upstream  the pod receives the path /" in txt


def _screen_lines(widget) -> list[str]:
    region = widget.content_region
    return [strip.text for strip in widget.render_lines(Region(0, 0, region.width, region.height))]


async def test_hostile_strings_are_shown_inert(ingress_app):
    app = ingress_app(hostile_objects())
    safe = clean(HOSTILE)
    assert "\x1b" not in safe and "[bold red]x[/]" in safe
    async with app.run_test(size=(200, 50)) as pilot:
        pane = await open_pane(app, pilot)
        routes = pane.routes_table.plain_text()
        assert f"/i{safe} Prefix" in routes  # the Ingress path
        assert f"/m{safe} prefix" in routes  # the Mapping prefix
        assert f"default/evil{safe}:80" in routes  # the service name
        for key in pane.routes_table.keys:
            for cell in pane.routes_table.get_row(key):
                assert not cell.spans or all(str(s.style) in ("bold", "dim", "") for s in cell.spans)
        # The tester lists every candidate with its path: inert there too, as the screen shows it.
        await run_url(app, pilot, f"http://{NODE_IP}:31211/nothing")
        shown = "\n".join(_screen_lines(app.query_one("#ing-result", Static)))
        assert f"/m{safe}" in shown and f"/i{safe}" in shown
        assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown and "\u200b" not in shown
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg
        assert "href" not in svg  # no link made from [link=...] or OSC 8
