"""The report job: figures and the self-contained HTML page, drawn from the results alone."""
