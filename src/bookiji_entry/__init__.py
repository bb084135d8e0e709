"""Bookiji entry points: the HTTP app, the bkctl CLI, settings and the composition root."""
