"""The model as written and as drawn: a Vensim ``.mdl`` read as text, with no simulation.

:mod:`diagrams.mdl` splits the text into equations (name, expression, units, range, comment);
:mod:`diagrams.structure` reads the dependency graph (stocks, flows, auxiliaries, constants, sectors)
from them; :mod:`diagrams.sketch` writes the Vensim diagram views (one per sector) from that graph and
reads them back. Nothing here imports PySD or :mod:`sd_model`: the explorer's diagrams, the loop
names and the tests' cross-checks of PySD's reading all start from here.
"""
