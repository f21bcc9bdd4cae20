"""Optical motion capture (ASF/AMC) read into the 33-landmark layout the pose service produces."""
