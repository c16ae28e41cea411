"""Pieces of the Streamlit explorer (``app.py``): pure functions, no Streamlit calls except in ``app.py``."""
