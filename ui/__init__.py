"""Channels: the command line, the Streamlit console and the Slack bot."""
