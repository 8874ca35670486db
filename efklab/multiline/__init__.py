"""Multiline grouping recipes: rules from configs or options, old-vs-new grouping diffs, declarative case files."""
