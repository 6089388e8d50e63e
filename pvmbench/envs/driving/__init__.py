"""The driving task: an embedded MuJoCo highway (Highway-v0) and rules shared with the CARLA backend."""
