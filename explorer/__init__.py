"""The Streamlit explorer's parts: pure helpers (charts, formatting, links, stories), the session
(``state``), shared widgets, and one page per view under ``views/``; ``app.py`` is the frame."""
