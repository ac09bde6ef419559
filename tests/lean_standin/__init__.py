"""A LEAN stand-in written from LEAN's source (each rule cites the LEAN file and line it follows)
and an end-to-end replay of main.py through it (`replay.py`, `make lean-replay`)."""
