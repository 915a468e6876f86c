"""Click commands, one module per area. Each imports its logic lazily, inside the command."""
