"""Comparisons of builds, pure: the one area-matching rule, the diff of two builds, the timeline."""
