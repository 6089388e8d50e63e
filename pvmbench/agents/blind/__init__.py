"""The `blind` baseline: the best constant action, found without ever looking at an image.

A benchmark of visuomotor agents must be one that a policy which ignores the image cannot win; `blind`
is that policy, so every leaderboard shows the floor an agent has to beat to have learned anything
from pixels. `pvmbench train --algo blind` grid-searches the env's `blind_grid` (a class attribute of
the env contract) at the env's `id` level on seeds disjoint from evaluation, and saves the winner.
"""
