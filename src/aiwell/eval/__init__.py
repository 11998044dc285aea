"""`aiwell eval`: statistical testing of nondeterministic AI systems. Does not import the review engine."""
