"""`bertkit demo`: the BERT life cycle, and a pretrained BERT adapted to new text, in a few minutes.

An application built on the library's floors below it (data, train, pipelines); see `run.py`.
"""
