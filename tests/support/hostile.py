"""An injection corpus, and a copy of the lab snapshot with it planted everywhere text can go.

Each string is something a hostile object author could write: Rich/Textual markup, terminal
control sequences (CSI colours, OSC 8 hyperlinks, OSC 52 clipboard writes), carriage returns
and backspaces that repaint a line, bidi overrides that reorder it, zero-width characters that
hide part of it. Shown anywhere, each must appear as inert text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k8snet_tui.sources.snapshot import bundled_lab_path

CORPUS = {
    "markup": "[bold red]pwn[/]",
    "link": "[link=http://evil.example]click[/link]",
    "lone_bracket": "[unclosed",
    "csi": "\x1b[31mred\x1b[0m",
    "osc8": "\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;cHduZWQ=\x07",
    "cr": "visible\rhidden",
    "backspace": "ab\x08\x08XY",
    "bidi": "abc\u202edcba",
    "zero_width": "web\u200bsite",
}
ALL = "".join(CORPUS.values())
# What the terminal must never receive from data: ESC starts every control sequence above.
FORBIDDEN_BYTES = ("\x1b", "\x07", "\x08", "\r", "\u202e", "\u200b")


def hostile_lab(tmp: Path) -> Path:
    """Copy the bundled lab snapshot to `tmp` and plant the corpus in names, labels,
    annotations, a Corefile, an iptables comment and an interface name."""
    root = tmp / "hostile-lab"
    shutil.copytree(bundled_lab_path(), root)
    api = root / "api"
    for path in api.glob("*.json"):
        doc = json.loads(path.read_text())
        items = doc.get("items") if isinstance(doc.get("items"), list) else [doc]
        for obj in items:
            meta = obj.setdefault("metadata", {})
            meta.setdefault("labels", {})["evil"] = ALL
            meta.setdefault("annotations", {})["note"] = ALL
        path.write_text(json.dumps(doc))
    extra = []
    for n, (key, text) in enumerate(CORPUS.items()):
        extra.append({"kind": "Service", "apiVersion": "v1",
                      "metadata": {"name": f"evil-{key}-{text}", "namespace": "default", "uid": f"evil-{n}"},
                      "spec": {"type": "ClusterIP", "clusterIP": f"10.96.200.{n + 1}",
                               "ports": [{"name": f"p{text}", "port": 80, "protocol": "TCP"}]}})
        extra.append({"kind": "Pod", "apiVersion": "v1",
                      "metadata": {"name": f"evil-pod-{key}-{text}", "namespace": "default", "uid": f"evil-pod-{n}",
                                   "labels": {"app": text}},
                      "spec": {"nodeName": text, "containers": [{"name": "c", "image": text}]},
                      "status": {"phase": "Running", "podIP": f"10.0.9.{n + 1}"}})
    extra.append({"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
                  "metadata": {"name": "evil-ingress", "namespace": "default", "uid": "evil-ing"},
                  "spec": {"rules": [{"host": "x.example", "http": {"paths": [
                      {"path": "/" + text, "pathType": "Prefix",
                       "backend": {"service": {"name": f"svc-{text}", "port": {"number": 80}}}}
                      for text in CORPUS.values()]}}]}})
    extra.append({"kind": "Mapping", "apiVersion": "getambassador.io/v3alpha1",
                  "metadata": {"name": "evil-mapping", "namespace": "default", "uid": "evil-map"},
                  "spec": {"hostname": "*", "prefix": "/" + ALL, "service": "website"}})
    (api / "zz-hostile.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": extra}))
    for node_dir in (root / "nodes").iterdir():
        save = node_dir / "iptables-save.txt"
        if save.exists():
            text = save.read_text().replace('"default/website:http -> 10.0.0.1:80"',
                                            json.dumps("default/website:http -> 10.0.0.1:80 " + CORPUS["markup"]
                                                       + CORPUS["lone_bracket"]))
            save.write_text(text)
        addrs = node_dir / "ip-addr.json"
        if addrs.exists():
            doc = json.loads(addrs.read_text())
            doc.append({"ifindex": 99, "ifname": "evil" + ALL, "flags": ["UP"], "mtu": 1500,
                        "operstate": "UP", "addr_info": [{"family": "inet", "local": "10.0.9.99", "prefixlen": 32,
                                                          "label": ALL}]})
            addrs.write_text(json.dumps(doc))
    cms = api / "configmaps.json"
    if cms.exists():
        doc = json.loads(cms.read_text())
        for cm in doc.get("items", []):
            if cm.get("metadata", {}).get("name") == "coredns":
                cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("errors", "errors # " + ALL)
        cms.write_text(json.dumps(doc))
    return root
