"""KataForge: martial-arts technique analysis. The SDK is `kataforge.client`, the CLI `kataforge.cli`."""

__version__ = "0.1.0"
