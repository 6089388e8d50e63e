"""Behaviour cloning: a quick baseline that trains encoder + MLP head on scripted demonstrations."""
