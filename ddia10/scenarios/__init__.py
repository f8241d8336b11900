"""Ready-made scenarios that the chapter players run."""
