"""Results as pandas tables for the notebooks, one module per job; the jobs themselves return plain data."""
