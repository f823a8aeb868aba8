"""Child process of the probe: read one legacy (x_tables) table with python-iptables.

Run as `python -m k8snet_tui.probe.iptc_child <table>`. It exists as a separate process because
python-iptables swaps a pipe over file descriptor 1 while it reads rules: our result goes out on
a duplicate of the real stdout taken before `iptc` is imported. Only the probe starts this, and
only for a table listed in /proc/net/ip_tables_names, since opening a missing table creates it.

Prints one JSON object: {"table": name, "chains": {chain: rule_count}} or {"error": "..."}.
"""

from __future__ import annotations

import json
import os
import sys

_ALLOWED = ("filter", "nat", "mangle", "raw", "security")


class _NoDistutils:
    """Make `import distutils...` fail, so python-iptables takes its own fallback.

    `iptc.util` imports `distutils.sysconfig` for one function (`get_python_lib`) and uses
    `sysconfig.get_path("purelib")` when distutils is missing; the same directory. In a venv
    with setuptools, its distutils shim turns that import into an import of all of setuptools:
    about 1 s, two thirds of the probe's time. Nothing else in this child imports distutils.
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "distutils" or name.startswith("distutils."):
            raise ModuleNotFoundError(f"No module named {name!r} (not needed here)", name=name)
        return None


def _read(table_name: str) -> dict[str, object]:
    if table_name not in _ALLOWED:
        return {"error": f"refusing to read unknown table {table_name!r}"}
    with open("/proc/net/ip_tables_names", encoding="ascii", errors="replace") as fh:
        present = fh.read().split()
    if table_name not in present:
        return {"error": f"legacy table {table_name} does not exist; not opening it (that would create it)"}
    if not any(isinstance(f, _NoDistutils) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoDistutils())
    try:
        import iptc  # deliberately late: only in this child
    except Exception as exc:  # ImportError, or OSError when libxtables cannot be loaded
        return {"error": f"python-iptables could not be loaded: {exc}"}
    try:
        table = iptc.Table(table_name)
        table.autocommit = False
        table.refresh()
        chains = {chain.name: len(chain.rules) for chain in table.chains}
    except Exception as exc:
        return {"error": f"python-iptables could not read table {table_name}: {exc}"}
    return {"table": table_name, "chains": chains}


def main(argv: list[str]) -> int:
    real_stdout = os.dup(1)
    result = _read(argv[0] if argv else "nat")
    data = (json.dumps(result) + "\n").encode()
    view = memoryview(data)
    while view:
        written = os.write(real_stdout, view)
        view = view[written:]
    os.close(real_stdout)
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
