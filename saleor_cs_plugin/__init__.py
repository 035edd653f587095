"""Customer service for Saleor stores, installed as a Saleor plugin and Django app."""
