"""Edge service: the public REST/JSON API, transcoded into gRPC calls on the backends."""
