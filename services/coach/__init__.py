"""Coach registry service: coaches, their techniques, teaching philosophy and reference performances."""
