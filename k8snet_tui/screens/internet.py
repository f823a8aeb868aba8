"""Pane 1: the Internet side, the outermost of the lab's three IP spaces.

The public address comes from the cloud's metadata service, asked in a thread worker the first
time the pane is shown (or on `r`), never at start-up; a snapshot's cloud.json is used as is and
nothing is asked. The outbound (SNAT) address needs a third party, so it is asked only on `o`.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from k8snet_tui.domain.layers import CloudFacts, Outbound
from k8snet_tui.domain.layers.internet import NO_ANSWER, OFFLINE, InternetView
from k8snet_tui.domain.model import Observed
from k8snet_tui.present import Selection
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.screens.sectioned import heading, line, lines
from k8snet_tui.sources.cloud_metadata import (
    DEFAULT_ECHO_URLS,
    DEFAULT_METADATA_URL,
    is_offline,
)
from k8snet_tui.widgets.safe import data_text

ASKING = "asking the cloud metadata service..."
NOTHING_ASKED = CloudFacts()  # one object: a model built before any answer is kept across switches


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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "ask_cloud", "Re-ask cloud", id="internet.refresh"),
        Binding("o", "ask_outbound", "Outbound IP", id="internet.outbound"),
    ]
    DEFAULT_CSS = """
    InternetPane #internet-scroll { height: 1fr; }
    InternetPane #internet-facts { height: auto; padding: 0 1; }
    """

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self.view: InternetView | None = None
        self.cloud: CloudFacts | None = None  # what a live lookup answered
        self.outbound: Outbound | None = None  # what a live echo lookup answered
        self.cloud_state = "idle"  # idle | asking | done
        self.outbound_state = "idle"
        self._facts: CloudFacts | None = None  # cloud + outbound answers, as presented
        self._message = Text("")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="internet-scroll"):
            yield Static(id="internet-facts")

    # -- settings ----------------------------------------------------------------------------------

    def _offline(self) -> bool:
        return self.context.settings.offline or is_offline()

    def _metadata_url(self) -> str:
        return self.context.settings.metadata_url or os.environ.get("K8SNET_METADATA_URL") or DEFAULT_METADATA_URL

    def _echo_urls(self) -> tuple[str, ...]:
        configured = tuple(self.context.settings.echo_urls or ())
        env = tuple(u.strip() for u in os.environ.get("K8SNET_ECHO_URLS", "").split(",") if u.strip())
        return configured or env or DEFAULT_ECHO_URLS

    # -- rendering ---------------------------------------------------------------------------------

    def selection(self, observed: Observed) -> Selection:
        """Live, the facts looked up now (none yet: nothing asked); a snapshot uses its cloud.json."""
        if not self.context.live:
            return Selection(namespace=observed.cluster.namespace)
        return Selection(namespace=observed.cluster.namespace, cloud=self._facts or NOTHING_ASKED)

    def render_model(self, observed: Observed, model: Any) -> None:
        # Asked the first time the pane is shown (it is rendered only while visible), never before.
        if self.context.live and self.cloud_state == "idle" and self.display:
            self.action_ask_cloud()
            return  # action_ask_cloud redraws
        self.view = model
        self.query_one("#internet-facts", Static).update(self._text(model))

    def _remember_facts(self) -> None:
        """The facts to present: what the lookups answered, combined once (kept by identity, so
        a pane switch with no new answer reuses the model)."""
        facts = self.cloud
        if self.outbound is not None:
            facts = (facts or CloudFacts()).with_outbound(self.outbound)
        self._facts = facts

    def _redraw(self) -> None:
        if self.observed is None:
            return
        self._remember_facts()
        self.view = self.build_model(self.observed)
        self.query_one("#internet-facts", Static).update(self._text(self.view))

    def _text(self, view: InternetView) -> Text:
        live = self.context.live
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
        if not self.context.live:
            self._message = Text("snapshot: the facts come from its cloud.json; nothing is asked")
        elif self._offline():
            self.cloud, self.cloud_state = CloudFacts(status=OFFLINE, detail="K8SNET_OFFLINE=1"), "done"
        else:
            self.cloud_state = "asking"
            network, url = self.context.network, self._metadata_url()
            # A newer `r` starts a new job of the same name: an older answer is dropped.
            self.jobs.start("cloud", lambda: network.lookup_cloud(url), self._got_cloud,
                            failed=lambda exc: self._got_cloud(CloudFacts(
                                status=NO_ANSWER, detail=f"the lookup failed: {type(exc).__name__}: {exc}")),
                            description="cloud metadata")
        self._redraw()

    def _got_cloud(self, facts: CloudFacts) -> None:
        self.cloud, self.cloud_state = facts, "done"
        self._redraw()

    # -- `o`: the outbound address -----------------------------------------------------------------

    def action_ask_outbound(self) -> None:
        if not self.context.live:
            self._message = Text("snapshot: the outbound address shown is the one captured; nothing is asked")
        elif self._offline():
            self.outbound, self.outbound_state = Outbound(status=OFFLINE, detail="K8SNET_OFFLINE=1"), "done"
        elif self.outbound_state != "asking":
            self.outbound_state = "asking"
            network, urls = self.context.network, self._echo_urls()
            self.jobs.start("outbound", lambda: network.lookup_outbound(urls), self._got_outbound,
                            failed=lambda exc: self._got_outbound(Outbound(
                                status=NO_ANSWER, detail=f"the lookup failed: {type(exc).__name__}: {exc}")),
                            description="outbound address")
        self._redraw()

    def _got_outbound(self, answer: Outbound) -> None:
        self.outbound, self.outbound_state = answer, "done"
        self._redraw()

    # -- the pane contract -------------------------------------------------------------------------

    def handle_command(self, verb: str, arg: str) -> None:
        if not arg:
            return
        self.context.notify(f"the Internet pane takes no argument (got {arg!r})", title="internet")

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
