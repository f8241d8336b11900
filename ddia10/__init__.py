"""ddia10: the protocols, clocks, checkers and views of an executable textbook on
consistency and consensus. Every chapter notebook imports from here."""

__version__ = "0.1.0"
