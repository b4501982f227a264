"""The one place where the console turns an error into a line on the page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from tools.errors import ModelPilotError
from ui.console.session import t

log = logging.getLogger(__name__)


def show_error(exc: Exception) -> None:
    """Show ``exc`` as one line; the traceback goes to the log, never to the page."""
    if isinstance(exc, ModelPilotError):
        log.info("console: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        st.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return
    log.exception("console: unexpected error")
    st.error(t("unexpected_error", error=type(exc).__name__))


@contextmanager
def guarded() -> Iterator[None]:
    """Run a section of a page; an error in it becomes one line and the rest still renders."""
    try:
        yield
    except Exception as exc:  # Streamlit's rerun and stop signals are BaseException, not caught
        show_error(exc)
