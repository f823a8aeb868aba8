"""Pane 1: the Internet side, the outermost of the lab's three IP spaces.

The public address comes from the cloud's metadata service, asked in a thread worker the first
time the pane is shown (or on `r`), never at start-up; a snapshot's cloud.json is used as is and
nothing is asked. The outbound (SNAT) address needs a third party, so it is asked only on `o`.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from k8snet_tui import views
from k8snet_tui.domain.layers import CloudFacts, Outbound
from k8snet_tui.domain.layers.internet import NO_ANSWER, OFFLINE, InternetView
from k8snet_tui.domain.model import Observed
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.sectioned import heading, line, lines, session_is_live
from k8snet_tui.sources.cloud_metadata import (
    DEFAULT_ECHO_URLS,
    DEFAULT_METADATA_URL,
    is_offline,
    lookup_cloud,
    lookup_outbound,
)
from k8snet_tui.widgets.safe import data_text

ASKING = "asking the cloud metadata service..."


class InternetPane(Pane):
    PANE_ID = "internet"
    TITLE = "Internet"
    KEY = "1"
    EXPLAIN = explain_text.INTERNET
    NEEDS = ()
    PANE_KEYS = (
        ("r", "ask the cloud metadata service again (live only)"),
        ("o", "ask an echo service for the outbound (SNAT) address: this tells that third party our address"),
        ("↑ ↓", "scroll"),
        ("e", "what 1:1 NAT and SNAT mean"),
    )
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("r", "ask_cloud", "Re-ask cloud", id="internet.refresh"),
        Binding("o", "ask_outbound", "Outbound IP", id="internet.outbound"),
    ]
    DEFAULT_CSS = """
    InternetPane #internet-scroll { height: 1fr; }
    InternetPane #internet-facts { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view: InternetView | None = None
        self.cloud: CloudFacts | None = None  # what a live lookup answered
        self.outbound: Outbound | None = None  # what a live echo lookup answered
        self.cloud_state = "idle"  # idle | asking | done
        self.outbound_state = "idle"
        self._generation = 0  # answers from an older `r` are dropped
        self._message = Text("")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="internet-scroll"):
            yield Static(id="internet-facts")

    # -- settings ----------------------------------------------------------------------------------

    def _settings(self) -> Any:
        return getattr(self.app, "settings", None)

    def _offline(self) -> bool:
        settings = self._settings()
        return bool(getattr(settings, "offline", False)) or is_offline()

    def _metadata_url(self) -> str:
        settings = self._settings()
        return getattr(settings, "metadata_url", None) or os.environ.get("K8SNET_METADATA_URL") or DEFAULT_METADATA_URL

    def _echo_urls(self) -> tuple[str, ...]:
        settings = self._settings()
        configured = tuple(getattr(settings, "echo_urls", ()) or ())
        env = tuple(u.strip() for u in os.environ.get("K8SNET_ECHO_URLS", "").split(",") if u.strip())
        return configured or env or DEFAULT_ECHO_URLS

    # -- rendering ---------------------------------------------------------------------------------

    def build_model(self, observed: Observed) -> Any:
        return self.view_model(observed)

    def render_model(self, observed: Observed, model: Any) -> None:
        # Asked the first time the pane is shown (it is rendered only while visible), never before.
        if session_is_live(self) and self.cloud_state == "idle" and self.display:
            self.action_ask_cloud()
            return  # action_ask_cloud redraws
        self.view = model
        self.query_one("#internet-facts", Static).update(self._text(model))

    def view_model(self, observed: Observed) -> Any:
        if not session_is_live(self):
            return views.build("internet", observed)  # the snapshot's cloud.json, nothing asked
        facts = self.cloud or CloudFacts()
        if self.outbound is not None:
            facts = facts.with_outbound(self.outbound)
        return views.build("internet", observed, cloud=facts)

    def _redraw(self) -> None:
        if self.observed is None:
            return
        self.view = self.view_model(self.observed)
        self.query_one("#internet-facts", Static).update(self._text(self.view))

    def _text(self, view: InternetView) -> Text:
        live = session_is_live(self)
        out: list[Text] = [heading("Public address (cloud metadata service)")]
        if live and self.cloud_state == "asking":
            status = Text(f"{ASKING} ({self._metadata_url()}, up to 1.5 s)")
        elif not live and view.status == "not-looked-up":
            status = Text("not in this snapshot (it has no cloud.json)")
        else:
            status = data_text(view.status_words)
            where = "the snapshot's cloud.json (nothing asked)" if not live else (
                "nothing asked" if view.status in (OFFLINE, "not-looked-up") else self._metadata_url())
            status.append(f"  [from {where}]")
        out.append(line("status", status))
        if view.detail:
            out.append(line("detail", view.detail))
        provider = f"{view.provider} ({view.provider_name})" if view.provider else ""
        out += [line("provider", provider), line("region / zone", " / ".join(x or "—" for x in (view.region, view.zone))
                                                 if view.region or view.zone else ""),
                line("instance id", view.instance_id),
                line("public IPv4", view.public_ipv4 or ("none" if view.status == "ok" else ""), style="bold"),
                line("private IPv4 (cloud)", view.private_ipv4),
                line("host addresses", ", ".join(view.host_addresses)),
                line("Node ExternalIP (API)", ", ".join(view.node_external_ips))]
        if live and self.cloud_state != "asking":
            out.append(Text("  r: ask the metadata service again", style="dim"))
        out += [Text(""), heading("Outbound address (an echo service on the Internet)")]
        if live and self.outbound_state == "asking":
            outbound = Text(f"asking {', '.join(self._echo_urls())}...")
        elif view.outbound_ipv4:
            outbound = data_text(view.outbound_ipv4, style="bold")
            outbound.append("  [from the snapshot]" if not live else "")
        elif view.outbound_status == "not-looked-up":
            outbound = Text("not asked yet" if live else "not in this snapshot")
        else:
            outbound = data_text(_outbound_words(view.outbound_status, self.outbound))
        out.append(line("outbound IPv4", outbound))
        if live:
            out.append(Text.assemble("  o: ask ", data_text(", ".join(self._echo_urls())),
                                     " for it. This tells that third party our address (and that we asked).",
                                     style="dim"))
        else:
            out.append(Text("  o asks an echo service in a live session; a snapshot shows what was captured",
                            style="dim"))
        out += [Text(""), heading("Translation (NAT)"),
                line("NAT", {"1:1": "1:1 NAT", "snat": "SNAT (outbound differs)", "none": "none (public on an interface)",
                             "unknown": "unknown"}.get(view.nat, view.nat), style="bold"),
                Text("  ").append(data_text(view.nat_words))]
        if self._message.plain:
            out += [Text(""), self._message]
        return lines(out)

    # -- `r`: the cloud metadata service -----------------------------------------------------------

    def action_ask_cloud(self) -> None:
        if not session_is_live(self):
            self._message = Text("snapshot: the facts come from its cloud.json; nothing is asked")
        elif self._offline():
            self.cloud, self.cloud_state = CloudFacts(status=OFFLINE, detail="K8SNET_OFFLINE=1"), "done"
        else:
            self._generation += 1
            self.cloud_state = "asking"
            self._lookup_cloud(self._generation, self._metadata_url())
        self._redraw()

    @work(thread=True, exit_on_error=False, group="internet-cloud")
    def _lookup_cloud(self, generation: int, url: str) -> None:
        try:
            facts = lookup_cloud(url)
        except Exception as exc:  # noqa: BLE001 - a bug here must still end in words on screen
            facts = CloudFacts(status=NO_ANSWER, detail=f"the lookup failed: {type(exc).__name__}: {exc}")
        try:
            self.app.call_from_thread(self._got_cloud, generation, facts)
        except RuntimeError:
            pass  # the app is closing

    def _got_cloud(self, generation: int, facts: CloudFacts) -> None:
        if generation != self._generation:
            return
        self.cloud, self.cloud_state = facts, "done"
        self._redraw()

    # -- `o`: the outbound address -----------------------------------------------------------------

    def action_ask_outbound(self) -> None:
        if not session_is_live(self):
            self._message = Text("snapshot: the outbound address shown is the one captured; nothing is asked")
        elif self._offline():
            self.outbound, self.outbound_state = Outbound(status=OFFLINE, detail="K8SNET_OFFLINE=1"), "done"
        elif self.outbound_state != "asking":
            self.outbound_state = "asking"
            self._lookup_outbound(self._echo_urls())
        self._redraw()

    @work(thread=True, exit_on_error=False, group="internet-outbound")
    def _lookup_outbound(self, urls: tuple[str, ...]) -> None:
        try:
            answer = lookup_outbound(urls)
        except Exception as exc:  # noqa: BLE001 - a bug here must still end in words on screen
            answer = Outbound(status=NO_ANSWER, detail=f"the lookup failed: {type(exc).__name__}: {exc}")
        try:
            self.app.call_from_thread(self._got_outbound, answer)
        except RuntimeError:
            pass

    def _got_outbound(self, answer: Outbound) -> None:
        self.outbound, self.outbound_state = answer, "done"
        self._redraw()

    # -- the pane contract -------------------------------------------------------------------------

    def handle_command(self, verb: str, arg: str) -> None:
        if not arg:
            return
        self.notify(data_text(f"the Internet pane takes no argument (got {arg!r})"), title="internet")

    def plain_text(self) -> str:
        if self.view is None:
            return self.TITLE
        return f"{self.TITLE}\n\n{self._text(self.view).plain}"


def _outbound_words(status: str, outbound: Outbound | None) -> str:
    words = {"offline": "offline (K8SNET_OFFLINE=1): not asked", "no-answer": "no echo service answered",
             "unexpected": "unexpected answer (ignored)"}.get(status, status)
    if outbound is not None and outbound.detail:
        words += f": {outbound.detail}"
    return words
