"""The TUI's `:` line runs the grammar the CLI uses: forms the CLI takes work there too, with Pilot
on the bundled lab, asserted on what the screen shows."""

from __future__ import annotations

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.sources.snapshot import load_snapshot

from tests import lab_roles as roles
from tests.ui.conftest import screen_text, settle

WEBSITE_CHAIN = roles.svc_chain("default", "website", "http")  # its cluster IP rule's KUBE-SVC chain


@pytest.fixture
def lab_app(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return make_app(Settings(offline=True), SnapshotSession(load_snapshot("lab"), banner="lab"),
                    save_dir=str(tmp_path / "saved"))


async def _type(pilot, line: str) -> str:
    await pilot.press("colon", *line, "enter")
    await settle(pilot)
    return screen_text(pilot.app)


async def test_trace_by_cluster_ip_opens_the_services_trace(lab_app) -> None:
    async with lab_app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        text = await _type(pilot, f"trace {roles.cluster_ip('default', 'website')}")
        assert lab_app.current_pane.PANE_ID == "services"
        assert WEBSITE_CHAIN in text


async def test_trace_by_nodeport_opens_the_services_trace(lab_app) -> None:
    async with lab_app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        text = await _type(pilot, f"trace {roles.node_port('default', 'website', 'http')}")
        assert WEBSITE_CHAIN in text


async def test_show_by_number_opens_the_pane(lab_app) -> None:
    async with lab_app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        await _type(pilot, "show 5")
        assert lab_app.current_pane.PANE_ID == "dns"
        await _type(pilot, "show svc")
        assert lab_app.current_pane.PANE_ID == "services"


async def test_an_address_no_service_has_is_said_not_crashed(lab_app) -> None:
    async with lab_app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        text = await _type(pilot, "trace 10.1.2.3")
        assert "no Service has address 10.1.2.3" in text
        text = await _type(pilot, "dns website --resolver nope")
        assert "invalid choice" in text and "nope" in text


async def test_dns_with_a_pod_and_a_resolver_resolves_as_that_pod(lab_app) -> None:
    async with lab_app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        text = await _type(pilot, "dns website --pod default/client --resolver busybox")
        assert lab_app.current_pane.PANE_ID == "dns"
        assert "default/client" in text and "busybox" in text
