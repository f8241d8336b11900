"""Graded drills: the reader writes the code, a check runs it and says what broke."""
