"""Block Kit builders: pure functions of plain data (see workflow/summaries.py)."""
