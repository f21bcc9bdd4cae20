"""Scoring service: pose sequence -> biomechanics -> scores, corrections and stored analyses."""
