"""The quality model in the product: training data from the database, the instance's model, the CLI."""
