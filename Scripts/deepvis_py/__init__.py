"""Python helpers for DeepVis: model conversion, reference fixtures, peer benchmarks.

Run through the bash wrappers in Scripts/, which create the virtual environment first.
"""
