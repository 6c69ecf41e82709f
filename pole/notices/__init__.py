"""The noticeboard: the manager posts to all or some organisations, a coordinator to her own."""
