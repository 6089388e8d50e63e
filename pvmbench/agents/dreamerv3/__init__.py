"""DreamerV3 (2024 recipe) with any pvmbench vision encoder plugged into the RSSM posterior, the reference
study's way: the `dreamerv3` agent and `pvmbench train --algo dreamerv3`. See README.md in this folder."""
