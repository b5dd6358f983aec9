"""phoner: outbound phoning campaigns for Danish jobcenters."""

__version__ = "0.1.0"
