# End-to-end, compose and load targets (included by the root Makefile).
