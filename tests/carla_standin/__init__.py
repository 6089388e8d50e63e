"""A stand-in for a CARLA server, for tests on machines where no CARLA server can run.

NOT CARLA: a few hundred lines of Python that answer the subset of the carla 0.9.16 client API that
pvmbench/CarlaHighway-v0 calls, from an in-process model of one server per port (a straight
multi-lane road, vehicles that move as told, a camera that sends blank frames), with the failure
behaviours the env must survive: a server that dies mid-episode, a Traffic Manager port taken on the
machine, settings other clients changed, collision events that arrive late. Tests put `api` where
`import carla` finds it (sys.modules["carla"]); `hosted` does the same inside spawned env hosts.
"""
