"""The UI tests' fixtures (notifications on, apps on snapshots) for the collector tests here."""

from tests.ui.conftest import make_lab_app, notifications_on  # noqa: F401  (pytest fixtures)
