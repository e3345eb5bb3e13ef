"""The label that no loss reads: positions that are not masked, a word's later sub-tokens, padding.

-100 is PyTorch's `cross_entropy` default `ignore_index`, which the heads' losses rely on. The data
steps (numpy, no torch), the model heads and the tasks share this one definition.
"""

IGNORE_INDEX = -100
