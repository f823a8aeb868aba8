"""`k8snet serve` in a real headless browser (Debian's chromium, driven by chromedriver).

The served page is loaded, a key is typed into it, and what the app writes back to the page is
read: the app starts on the DNS pane, `4` typed in the browser switches it to Services, and the
Services table with `website` reaches the page. xterm.js draws on a canvas, so the test reads
the terminal's input stream the page receives (a wrapper around the page's WebSocket, set up
before the page's own scripts run), and checks the canvas is there.

Loopback only: the server listens on 127.0.0.1, and the browser resolves no name and sends
everything that is not 127.0.0.1 to a closed proxy port, so it cannot reach anything else.
In CI (CI or K8SNET_REQUIRE_BROWSER set) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REQUIRED = bool(os.environ.get("CI") or os.environ.get("K8SNET_REQUIRE_BROWSER"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07")

# Every message the page's WebSocket receives, decoded, appended to window.__k8snetOut.
CAPTURE = """
(() => {
  const Native = window.WebSocket;
  window.__k8snetOut = "";
  const keep = (text) => { window.__k8snetOut = (window.__k8snetOut + text).slice(-400000); };
  const decoder = new TextDecoder();
  class Capturing extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        if (typeof data === "string") keep(data);
        else if (data instanceof ArrayBuffer) keep(decoder.decode(new Uint8Array(data), {stream: true}));
        else if (data && data.arrayBuffer) data.arrayBuffer().then((b) => keep(decoder.decode(new Uint8Array(b))));
      });
    }
  }
  window.WebSocket = Capturing;
})();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"k8snet serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"k8snet serve did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@pytest.fixture
def browser_tools():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (the test extra)")
    if missing:
        message = f"needs {', '.join(missing)} (scripts/test installs chromium and chromium-driver as root on Debian)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def served(tmp_path, browser_tools):
    port = _free_port()
    env = {**os.environ, "K8SNET_OFFLINE": "1", "KUBECONFIG": str(tmp_path / "none"), "HOME": str(tmp_path),
           "K8SNET_CONFIG": str(tmp_path / "no-config.toml"), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.Popen([sys.executable, "-m", "k8snet_tui", "--pane", "dns", "serve", "--port", str(port),
                             "--snapshot", "lab", "--font-size", "14"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def driver(browser_tools, tmp_path):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--window-size=1100,800",
                # loopback only: no name resolves, and anything not 127.0.0.1 goes to a closed port
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
                f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
    drv = webdriver.Chrome(options=options, service=service)
    try:
        drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE})
        yield drv
    finally:
        drv.quit()


def _screen_stream(drv) -> str:
    return ANSI.sub("", drv.execute_script("return window.__k8snetOut || ''"))


def _wait_for(drv, predicate, what: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = _screen_stream(drv)
        if predicate(text):
            return text
        time.sleep(0.25)
    raise AssertionError(f"the page never showed {what}; it received (last 2000 characters): {text[-2000:]!r}")


def test_page_loads_keys_reach_the_app_and_services_show_website(served, driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.get(f"http://127.0.0.1:{served}/")
    assert "fonts.googleapis.com" not in driver.page_source  # the page asks nothing of a third party
    terminal = driver.find_element(By.CSS_SELECTOR, ".textual-terminal")
    _wait_for(driver, lambda t: "5 DNS" in t, "the app's first frame (the DNS pane)")
    assert driver.find_elements(By.CSS_SELECTOR, ".textual-terminal canvas"), "xterm.js drew no canvas"
    before = len(_screen_stream(driver))
    assert "website  " not in _screen_stream(driver)  # the Services table is not on screen yet
    terminal.click()
    ActionChains(driver).send_keys("4").perform()
    after = _wait_for(driver, lambda t: "4 Services" in t[before:] and "website" in t[before:],
                      "the Services pane with website after pressing 4")
    assert "kube-dns" in after[before:]
