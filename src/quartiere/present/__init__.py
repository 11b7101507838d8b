"""Presentation: text, Markdown, JSON, maps and profiles of builds and comparisons."""
