"""ember's tour, one module per section; examples/tour.py is the entry point."""
