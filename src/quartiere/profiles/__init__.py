"""Profiles (Bestandsaufnahme) of every area of a build: offline HTML and A4 PDF.

An edge, like :mod:`quartiere.history`: ``data`` reads the build and the editions' tables,
``write`` renders the pages with the figures and texts of :mod:`quartiere.present` and writes them,
``printing`` prints them with headless Chromium (a process of its own, started by the command line).
"""
