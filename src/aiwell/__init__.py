"""aiwell: Well-Architected reviews of AI workloads on Azure, offline."""

__version__ = "0.1.0"

__all__ = ["__version__"]
