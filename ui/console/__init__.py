"""The Streamlit console: chat with the assistant, plus pages for models, runs and monitoring.

``APP_PATH`` is the script ``modelpilot console`` hands to ``streamlit run``.
"""

from pathlib import Path

APP_PATH = Path(__file__).parent / "app.py"
