"""Coach registry service: coaches, their techniques and teaching philosophy."""
