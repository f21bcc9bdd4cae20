"""KataForge backend services and the kit they share."""
