"""SimCity's driver: synthetic traffic, deterministic failure runs, fuzzing and load."""
