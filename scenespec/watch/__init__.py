"""`scenespec watch`: follow sources that another process is writing, and redraw as their steps arrive."""
