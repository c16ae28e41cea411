"""The Streamlit explorer's parts: pure helpers (charts, formatting, links, stories), the model shown
(``choice``: the project's, or any Vensim model the environment names), the session (``state``),
shared widgets, and one page per view under ``views/``; ``app.py`` is the frame."""
