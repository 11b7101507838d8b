"""Presentation: text, Markdown, JSON and maps of builds and comparisons."""
