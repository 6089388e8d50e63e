"""pvmbench/CarlaHighway-v0: the driving task on a user-run CARLA 0.9.15/0.9.16 server.

Nothing here imports `carla` at module level, so pvmbench imports without the `[carla]` extra.
"""
