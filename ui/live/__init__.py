"""Following a running agent in the window: the worker, the controller, the live bar, and the
preferences that bound a follow's memory."""
