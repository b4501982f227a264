"""Page scripts of the console; Streamlit runs one of them on each rerun."""
