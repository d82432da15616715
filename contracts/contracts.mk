# Contract targets (included by the root Makefile).
