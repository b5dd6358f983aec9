"""Files shipped with phoner and placed in a workspace: the standard call-out script."""
