"""pvmbench: does a visuomotor agent still work when the world looks different?"""

__version__ = "0.1.0"
