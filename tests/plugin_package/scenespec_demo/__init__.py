"""A spec package for scenespec: specs, a theme, the `level` layer kind and the `ramp` source kind."""
