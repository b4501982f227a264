"""Entry script of the console: ``streamlit run ui/console/app.py`` (``modelpilot console``)."""

from ui.console.shell import run

run()
