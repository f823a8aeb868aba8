"""A seeded monkey: random keys, palette entries and `:` commands through every pane.

Each run drives the app on the bundled lab at 80x24 and 120x40 with a thousand keys or more
each: every binding of the app and of each pane (after Textual's own cursor and editing keys),
every entry of the command palette, and `:` commands good and bad. A random step sends one to
four keys in one go, as a fast typist does (each key is handled in turn; the app settles and
paints once after the last). After each step the app must still run with no exception; the
screen must show something that is not blank nor hatching after any step that changed the
pane, the top screen (a modal opened or closed) or the notifications (a toast crashes only
once it is painted), at most every 8 steps otherwise, and at the end of each sequence. It
runs up to 1,500 steps per size or 25 s, whichever comes first (at least one sequence per
pane), and prints its keys a minute. A palette entry is mostly pasted into the palette's box
(one in five typed key by key) and chosen once the search lists it.
Zoom and theme steps are the dearest (a theme restyles the pane shown and the app's own
widgets: ~10x a key), so they are not in the random mix: each sequence has one of them at a
random step, a theme in odd sequences (going round the themes, by `:theme` and by the palette
in turn) and a zoom in even ones (`z` and a pane, going round the panes; every fourth the
palette's "Zoom"). A screen is judged only once the widgets shown on the top screen have handled
their messages and what they redrew is painted (`full_settle`): a modal read before its first
layout is empty, and a footer read mid-redraw is stale, which no user sees. A failure names the seed:
`K8SNET_MONKEY_SEED=<seed> pytest tests/ui/test_monkey.py` replays it.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import unicodedata
from contextlib import suppress

import pytest
from textual import events
from textual.binding import Binding
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widgets import ContentSwitcher, Input
from textual.worker import WorkerCancelled

from k8snet_tui.app import K8snetApp, make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import THEME_NAMES, Settings
from k8snet_tui.registry import PANES, load_pane_class
from k8snet_tui.sources.snapshot import load_snapshot

from tests.ui.conftest import screen_text

SIZES = [(80, 24), (120, 40)]
STEPS_PER_SIZE = 1500  # the target; on a slow or busy machine the time budget ends it earlier
SECONDS_PER_SIZE = 25.0  # the whole test stays under a minute (K8SNET_MONKEY_SECONDS overrides)
STEPS_PER_SEQUENCE = 40
CHECK_EVERY = 8  # at most this many steps between two looks at the screen (and one after each change)
BURSTS = (1, 1, 2, 3, 4)  # how many keys a random step sends in one go
QUIT_KEYS = {"q", "ctrl+q", "ctrl+c"}  # pressed once, on purpose, at the very end
last_screen: list[str] = []  # what the screen showed when q was pressed at the end

GOOD_COMMANDS = ["svc", "trace default/website", "trace default/website:http", "dns website", "dns website SRV",
                 "dns website AAAA musl", "route http://127.0.0.1:31211/engine", "route /", "ns default",
                 "ns kube-system", "ns all", "ns", "ingress", "pods", "host", "internet", "po", "ing",
                 *(f"theme {t}" for t in THEME_NAMES), "ctx other"]
BAD_COMMANDS = ["foo", "theme nope", "theme", "trace", "trace nope/nothing", "trace ::::", "dns", "dns " + "a" * 300,
                "route", "route ht!tp://[", "ns does-not-exist", "svc extra words here", "[bold]x[/]",
                "\x1b[31mred", "ns [link=x]y"]
EXTRA_KEYS = ["up", "down", "pageup", "pagedown", "home", "end", "left", "right", "enter", "escape", "tab",
              "shift+tab", "backspace", "space", "w", "e", "b", "x", "1", "slash", "question_mark"]


# Steps that restyle the whole app: scheduled (see `_rare_step`), not drawn at random.
THEME_COMMANDS = [f"theme {t}" for t in THEME_NAMES]
RARE_PALETTE = ("Zoom", "Theme: ")


def _keys_of(bindings) -> list[str]:
    keys: list[str] = []
    for b in bindings:
        key = b.key if isinstance(b, Binding) else b[0]
        keys += [k.strip() for k in key.split(",") if k.strip()]
    return keys


def vocabulary() -> list[str]:
    """Every key the app and its panes bind, and the keys a user moves and types with."""
    keys = _keys_of(K8snetApp.BINDINGS) + ["ctrl+p", "ctrl+s"]
    for spec in PANES:
        for cls in load_pane_class(spec).__mro__:
            keys += _keys_of(vars(cls).get("BINDINGS", ()))
    keys += EXTRA_KEYS
    return sorted({k for k in keys if k not in QUIT_KEYS})


def looks_blank(text: str) -> str | None:
    """Why this screen is not something a user can read, or None."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < 40:
        return f"only {len(chars)} visible characters"
    hatch = sum(1 for c in chars if c in "╱╲")
    if hatch > len(chars) // 2:
        return f"{hatch} of {len(chars)} characters are hatching"
    return None


def pane_looks_blank(app, text: str) -> str | None:
    """Why the pane shown on the main screen draws nothing a user can read, or None.

    The header, banner and footer alone pass `looks_blank`; toasts and the lab panel fill the
    rows between them. So the pane's own place on the screen is read: the left half of its
    region (toasts stack on the right), while no modal covers it."""
    if len(app.screen_stack) > 1:
        return None
    region = app.current_pane.region
    if region.height < 3 or region.width < 20:
        return None  # a short screen the lab panel fills: nothing to judge
    rows = text.splitlines()[region.y:region.bottom]
    shown = sum(1 for row in rows for c in row[region.x:region.x + region.width // 2] if not c.isspace())
    if shown < 10:
        return f"the pane {app.current_pane.PANE_ID} shows {shown} characters in its place"
    return None


@pytest.fixture
def loopback_only(monkeypatch):
    """Nothing the monkey presses may reach past this machine."""
    original = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")) \
                and self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"the monkey test refuses a connection to {host}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


async def press(pilot, *keys: str) -> None:
    """Keys as the terminal driver sends them, each handled before the next (a settled app).

    `Pilot.press` also waits for the process to look idle after every key (a few frames of
    sleep each): thousands of keys would take many minutes. Here a key is sent, and the next
    goes only when the app and every widget of the screen have handled their messages.
    """
    for key in keys:
        send(pilot.app, key)
        await settle(pilot)


def send(app, key: str) -> None:
    """One key into the app's queue, as the terminal driver sends it (nothing waits for it)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def settle(pilot) -> None:
    """Until the app, the screen and the focused widget's chain have handled their messages.

    In two rounds: the app handles a key first and hands it on to the focused widget's queue,
    so that widget is waited for once the app's own queue is done. (The whole screen's
    200-odd widgets each time would cost more than the keys themselves; `full_settle` does
    that before every look at the screen.)
    """
    app = pilot.app
    for _ in range(50):  # the app holds a key typed fast until the one before it is handled
        await _handled(app, [app])
        focused = app.screen.focused
        await _handled(app, dict.fromkeys([app.screen, *(focused.ancestors_with_self if focused is not None else ())]))
        if not app.key_order.pending:
            return


async def _handled(app, nodes) -> None:
    """Until each of `nodes` has handled the messages already in its queue (or the app died)."""
    waiting = [0]
    done = asyncio.Event()

    def one_done() -> None:
        waiting[0] -= 1
        if waiting[0] == 0:
            done.set()

    for node in nodes:
        if node.call_later(one_done):  # runs after the messages already in that node's queue
            waiting[0] += 1
    if waiting[0]:
        # An app that died never runs the callbacks: stop waiting on its exception too.
        waits = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(app._exception_event.wait())]
        _, pending = await asyncio.wait(waits, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    if not app.is_running or app._exception is not None:
        raise AssertionError(f"the app stopped: {app._exception!r}")


async def full_settle(pilot) -> None:
    """Until the screen stack is still and the top screen has laid out what is pending.

    A key that opens a modal (`?`, `n`, `N`, `p`) pushes it while these waits run; its widgets
    mount next and Textual lays them out on its next frame, before it paints any of them.
    Read before that frame, the new screen's compositor is empty: "0 visible characters", a
    screen no user ever sees. So: wait for every widget of the screen on top, run the layout
    and paint the next frame would run (as `Pilot.pause` does), and go again while the top
    screen changed or still has work queued.
    """
    app = pilot.app
    for _ in range(20):
        screen = app.screen
        await _wait_for_shown(pilot)
        await settle(pilot)  # what the widgets posted to the screen as they went idle (a redraw)
        if app.screen is not screen:
            continue
        if not (screen._layout_required or screen._dirty_widgets or screen._repaint_required
                or screen._recompose_required or screen._callbacks):
            return
        # The frame's layout and paint; what runs after it (a focus change, a widget that
        # redraws then) is waited for on the next round.
        screen._on_timer_update()


async def _wait_for_shown(pilot) -> None:
    """As `Pilot._wait_for_screen`, for the widgets that are shown: every message queued for the
    app, the top screen and each widget drawn on it is handled. The hidden panes (a third of
    the screen's widgets) draw nothing until shown, and then they are in this walk."""
    app = pilot.app
    screen = app.screen
    nodes = [app, screen]
    stack = [screen]
    while stack:
        for child in stack.pop()._nodes:
            if child.display:
                nodes.append(child)
                stack.append(child)
    await _handled(app, nodes)


async def _until_listed(pilot, title: str, timeout: float = 2.0) -> None:
    """Until the palette's search lists `title` (it searches in a worker), instead of a fixed wait."""
    from textual.command import CommandList

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await settle(pilot)
        lists = pilot.app.screen.query(CommandList)
        if not lists or any(title in str(option.prompt) for option in lists.first().options):
            return
        await asyncio.sleep(0.005)


async def _command(pilot, line: str, log: list[str]) -> None:
    log.append(f":{line!r}")
    await press(pilot, "colon")
    await settle(pilot)
    box = pilot.app.focused
    if isinstance(box, Input):
        box.insert_text_at_cursor(line)  # as pasted: faster than a key per character
    await press(pilot, "enter")


async def _palette(pilot, title: str, typed: bool, log: list[str]) -> None:
    log.append(f"palette {title!r}" + (" typed" if typed else ""))
    await press(pilot, "ctrl+p")
    await settle(pilot)
    box = pilot.app.focused
    if typed or not isinstance(box, Input):
        await press(pilot, *title)
    else:
        box.insert_text_at_cursor(title)
    await _until_listed(pilot, title)
    await press(pilot, "enter")


async def _rare_step(pilot, rng: random.Random, sequence: int, log: list[str]) -> None:
    """A theme (odd sequences) or a zoom (even ones), each going round its choices."""
    if sequence % 2:
        rounds = sequence // 2
        word = THEME_NAMES[rounds % len(THEME_NAMES)]
        if rounds // len(THEME_NAMES) % 2:
            await _palette(pilot, f"Theme: {word}", rng.random() < 0.2, log)
        else:
            await _command(pilot, f"theme {word}", log)
    elif sequence // 2 % 4 == 3:
        await _palette(pilot, "Zoom", False, log)  # the pane on screen
    else:
        spec = PANES[sequence // 2 * 3 % len(PANES)]  # 3 and 8 share no factor: every pane in turn
        log.append(f"z {spec.key}")
        await press(pilot, "z", spec.key)
    await settle(pilot)


async def _step(pilot, rng: random.Random, keys: list[str], palette: list[str], log: list[str]) -> None:
    roll = rng.random()
    if roll < 0.07:
        commands = GOOD_COMMANDS if rng.random() < 0.6 else BAD_COMMANDS
        await _command(pilot, rng.choice([c for c in commands if c not in THEME_COMMANDS]), log)
    elif roll < 0.10 and palette:
        titles = [t for t in palette if not t.startswith(RARE_PALETTE)]
        typed = rng.random() < 0.2  # key by key, as a user types (and races the search); else pasted
        await _palette(pilot, rng.choice(titles), typed, log)
    else:
        # A few keys in one go, as a fast typist sends them: each is handled in turn, and the
        # app settles (and paints) once after the last. One key at a time, the painting of a
        # frame after nearly every key was most of a key's cost, which no typist makes happen.
        burst = [rng.choice(keys) for _ in range(rng.choice(BURSTS))]
        log.append(" ".join(burst))
        for key in burst:
            send(pilot.app, key)
        await settle(pilot)


class Watch:
    """Whether the screen is worth a look now: the pane, the top screen (a modal opened or
    closed) or the notifications changed since the last look (a toast is drawn by a widget of
    its own, where a bad message crashed the app only once it was painted)."""

    def __init__(self, app) -> None:
        self.app = app
        self.notified = 0  # counted by the test's wrapper of `notify`
        self.seen = self._now()

    def _now(self) -> tuple[object, ...]:
        app = self.app
        return app.screen, app.screen_stack[0].query_one(ContentSwitcher).current, self.notified

    def changed(self) -> bool:
        before, self.seen = self.seen, self._now()
        return self.seen != before


def count_notifications(monkeypatch) -> list[int]:
    """Every `notify` of the app counted (then shown as before): a toast is worth a look."""
    count = [0]
    original = K8snetApp.notify

    def notify(self, *args, **kwargs):
        count[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(K8snetApp, "notify", notify)
    return count


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_monkey(size, tmp_path, monkeypatch, loopback_only):
    seed = int(os.environ.get("K8SNET_MONKEY_SEED") or time.time_ns() % 1_000_000_007)
    rng = random.Random(seed)
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # Textual's own "Screenshot" palette entry writes here
    notified = count_notifications(monkeypatch)
    # Random keys can leave the palette open and type into it; an enter there may pick Quit,
    # which ends the run as q would. The monkey quits once, on purpose, at the very end.
    entries = K8snetApp.get_system_commands
    monkeypatch.setattr(K8snetApp, "get_system_commands",
                        lambda self, screen: (c for c in entries(self, screen) if c.title != "Quit"))
    keys = vocabulary()
    app = make_app(Settings(offline=True), SnapshotSession(load_snapshot("lab"), banner="SNAPSHOT lab (monkey)"),
                   save_dir=str(tmp_path / "saved"))
    log: list[str] = []
    delivered: list = []  # (key, event) for every key event the app received
    last_screen.clear()

    def where() -> str:
        return (f"seed {seed} (K8SNET_MONKEY_SEED={seed} replays it), size {size}, last steps: {log[-25:]}, "
                f"last key events: {[k for k, _ in delivered[-30:]]}")

    counts: dict[str, float] = {}
    try:
        pressed = await _run(app, size, rng, keys, log, where, delivered, notified=notified, counts=counts)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {where()}") from exc
    except Exception as exc:  # the app's own exception, raised again by run_test
        raise AssertionError(f"{type(exc).__name__}: {exc}: {where()}") from exc
    assert app.crash is None, f"{app.crash!r}: {where()}"
    assert app.return_code == 0, f"q did not end the app: {where()}\n{''.join(last_screen)}"
    # every pane had its sequence at least; the counts (and the seed) go in the test report
    print(f"monkey {size}: {pressed} steps, {len(delivered)} keys in {counts['seconds']:.1f} s "
          f"({len(delivered) / counts['seconds'] * 60:.0f} a minute), {counts['checks']:.0f} screen checks, seed {seed}")
    assert pressed >= len(PANES) * STEPS_PER_SEQUENCE


async def _workers_done(app) -> None:
    """Until the app's workers have ended. A cancelled one is no fault (the palette cancels its
    last search when a key changes the words: WorkerManager.wait_for_complete raised for it);
    one that failed is."""
    for worker in list(app.workers):
        with suppress(WorkerCancelled):
            await worker.wait()


async def _look(pilot, where) -> None:
    """The screen once everything shown is drawn: something a user can read."""
    await full_settle(pilot)
    text = screen_text(pilot.app)
    why = looks_blank(text) or pane_looks_blank(pilot.app, text)
    assert why is None, f"blank screen ({why}): {where()}\n{text}"


async def _run(app, size, rng, keys, log, where, log_keys, notified=None, counts=None) -> int:
    """The monkey on one app; how many steps it took. The screen is looked at every
    CHECK_EVERY steps and after any step that changed the pane, the top screen or the toasts;
    every step must leave the app running with no exception."""
    pressed = checks = 0
    started = time.monotonic()
    deadline = started + float(os.environ.get("K8SNET_MONKEY_SECONDS") or SECONDS_PER_SIZE)
    seen: set[int] = set()  # the events are kept in `delivered`: no id is reused meanwhile

    def hook(message) -> None:  # a key event is seen by each node it passes: counted once
        if isinstance(message, events.Key) and id(message) not in seen:
            seen.add(id(message))
            delivered.append((message.key, message))

    delivered = log_keys
    notified = notified if notified is not None else [0]
    async with app.run_test(size=size, notifications=True, message_hook=hook) as pilot:
        await settle(pilot)
        palette = [c.title for c in app.get_system_commands(app.screen) if c.title not in ("Quit",)]
        watch = Watch(app)
        sequence = 0
        while pressed < STEPS_PER_SIZE and (time.monotonic() < deadline or sequence < len(PANES)):
            spec = PANES[sequence % len(PANES)]
            log.append(f"-- sequence {sequence}: pane {spec.key}")
            await press(pilot, "escape", "escape", spec.key)
            rare_at = rng.randrange(STEPS_PER_SEQUENCE)
            since_look = 0
            for step in range(STEPS_PER_SEQUENCE):
                if step == rare_at:
                    await _rare_step(pilot, rng, sequence, log)
                else:
                    await _step(pilot, rng, keys, palette, log)
                pressed += 1
                since_look += 1
                assert app.is_running and app.return_code is None, f"the app stopped: {where()}"
                watch.notified = notified[0]
                if watch.changed() or since_look >= CHECK_EVERY:
                    await _look(pilot, where)
                    checks += 1
                    since_look = 0
                    watch.changed()  # what the look itself let happen (a focus, a toast) is seen
            await _workers_done(app)
            await _look(pilot, where)
            checks += 1
            sequence += 1
        if counts is not None:
            counts.update(seconds=time.monotonic() - started, checks=checks)
        # and the way out still works, with the code a user expects: esc until the pane is
        # back on the main screen with no box holding the keyboard (a modal over a picker over a
        # filter can take more than four), then q
        for _ in range(12):
            await press(pilot, "escape")
            await full_settle(pilot)
            if len(app.screen_stack) == 1 and not isinstance(app.focused, Input):
                break
        last_screen.append(screen_text(app))
        await pilot.press("q")  # Pilot's own press: this one is meant to end the app
    return pressed


# What the monkey found, pinned: each ran into the app at once, as from a fast typist.

def _lab_app(tmp_path):
    return make_app(Settings(offline=True), SnapshotSession(load_snapshot("lab"), banner="SNAPSHOT lab (monkey)"),
                    save_dir=str(tmp_path / "saved"))


@pytest.mark.parametrize("pane, key", [("1", "question_mark"), ("1", "n"), ("2", "N"), ("5", "p")])
async def test_a_screen_a_key_opens_is_judged_once_it_is_laid_out(pane, key, tmp_path, monkeypatch):
    """The monkey's blank screen: a modal read before its first layout showed 0 characters."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    app = _lab_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for _ in range(3):  # the first time, and once every pane is built
            await press(pilot, "escape", "escape", pane)
            await full_settle(pilot)
            await press(pilot, key)
            await full_settle(pilot)
            assert looks_blank(screen_text(app)) is None, screen_text(app)


async def test_escape_after_a_palette_pick_keeps_the_app(tmp_path, monkeypatch):
    """Seed 33: a pane picked in the palette, then esc: the palette was dismissed twice."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    app = _lab_app(tmp_path)
    log: list[str] = []
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press(pilot, "3", "home", "f")
        await settle(pilot)
        await _palette(pilot, "Go to Pod network", False, log)
        await settle(pilot)
        await press(pilot, "escape")
        await settle(pilot)
        await full_settle(pilot)
        assert app.is_running and app.crash is None, repr(app.crash)
        assert looks_blank(screen_text(app)) is None


@pytest.mark.parametrize("pane, key", [("5", "p"), ("4", "n"), ("3", "N")])
async def test_enter_twice_on_a_picker_keeps_the_app(pane, key, tmp_path, monkeypatch):
    """Seed 689545041: enter twice in one burst on the DNS pod picker; the second pick popped the
    screen under it (ScreenStackError), the same on the namespace and node pickers."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    app = _lab_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press(pilot, pane)
        await full_settle(pilot)
        await press(pilot, key)
        await full_settle(pilot)
        send(app, "enter")
        send(app, "enter")  # both queued before the first is handled
        await full_settle(pilot)
        await pilot.pause()  # the picker's pop
        await full_settle(pilot)
        assert app.is_running and app.crash is None, repr(app.crash)
        assert len(app.screen_stack) == 1 and looks_blank(screen_text(app)) is None, screen_text(app)
