"""Test helpers shared by kedge's end-to-end suites."""
